"""herobot: HERO projects, social complaints, IT risk reviews and council digests, in Slack."""

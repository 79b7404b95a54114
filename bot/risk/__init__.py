"""IT risk assessment: the checklist as a conversation, scored, and reviewed by IT."""

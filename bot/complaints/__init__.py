"""Social complaints: capture (shortcut, reaction, command, ingestion API), routing, follow-up, crisis alerts."""

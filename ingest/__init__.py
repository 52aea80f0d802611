"""sohoa ingest package."""

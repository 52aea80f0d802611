"""Digital signatures (PAdES) for sohoa documents; built by the signing issue."""

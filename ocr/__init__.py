"""sohoa ocr package."""

"""Words and numbers as users read them: diacritic-insensitive folding (text), vi-VN number,
percent and date formats (fmt), numbers read out in Vietnamese (numwords)."""

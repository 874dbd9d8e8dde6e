"""The Lightspeed Retail X-Series API 2.0: the HTTP client, its rate pacing and paging."""

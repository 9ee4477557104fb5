"""After-sales reviews and shop scores arrive with their own issue; the app is in place."""

"""The shell every app lives in: page layout, language, security headers, health, worker and scheduler."""

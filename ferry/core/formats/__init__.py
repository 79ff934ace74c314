"""Ferry's date and time formats, one style for every staff page (settings.FORMAT_MODULE_PATH).

Templates name a format (`|date:"DATETIME_FORMAT"`, or a datetime shown as it is), never a pattern of their
own, so a page never shows "Dec. 4, 2026, 5:45 p.m." beside "4 Dec, 17:34". Times are in the viewer's time
zone (core.middleware.StaffTimezoneMiddleware). What a module does not name comes from Django's own."""

"""Date formats: one format everywhere (YYYY-MM-DD, times YYYY-MM-DD HH:MM).

Django's own zh-Hans locale writes dates as "2026年9月1日"; ``FORMAT_MODULE_PATH`` points
here so every ``{{ date }}``, ``|date`` without an argument and form field shows the one
format instead."""

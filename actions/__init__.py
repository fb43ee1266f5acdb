"""Rasa custom actions (rasa-sdk). Thin: read slots, search the directory, format the reply.

No I/O at import time: the action server imports every module here when it starts.
"""

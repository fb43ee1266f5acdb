"""The resource directory: HSDS 3.0 aligned models, geography, search and seeds.

Imports neither FastAPI nor Rasa, so the api, the actions and the CLI can all use it.
"""

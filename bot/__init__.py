"""Engine-side code (runs in .venv-engine): launch helpers, later custom Rasa components."""

"""The public front door: FastAPI gateway for SMS, web chat, coach console and APIs."""

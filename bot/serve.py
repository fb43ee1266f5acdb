"""`python -m bot.serve ARGS`: the `rasa` command line with bot.engine_patches applied first.

bot.launch runs the engine server through this instead of the `rasa` script."""

from __future__ import annotations

import sys

from bot.engine_patches import apply

if __name__ == "__main__":
    apply()
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()

import sys

from .cli import main

if __name__ == "__main__":  # guarded: the engine process (spawn) imports this module again
    sys.exit(main())

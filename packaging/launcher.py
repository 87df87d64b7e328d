"""The frozen app's entry point (packaging/studio.spec): the same as the `studio` command."""

import multiprocessing
import sys

from studio.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen app re-runs this file in worker processes
    sys.exit(main())

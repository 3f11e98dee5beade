"""`python -m monitor ...`: the same entry point as the `drifthound` command."""

from monitor.cli import entry

if __name__ == "__main__":
    entry()

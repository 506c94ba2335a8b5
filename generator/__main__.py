import sys

try:
    from generator.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C before a run started (loading, validating): nothing touched
    print("interrupted", file=sys.stderr)
    code = 130
raise SystemExit(code)

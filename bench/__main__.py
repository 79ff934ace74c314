"""`python -m bench [--only NAME]`: run the benchmarks and print their figures."""

from bench.runner import main

if __name__ == "__main__":
    main()

"""Benchmarks (not part of the test run): the data generator and the load runner."""

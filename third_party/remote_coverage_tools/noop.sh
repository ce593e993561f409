#!/bin/sh
# Coverage merging is not done through Bazel in this project.
exit 0

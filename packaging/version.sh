#!/bin/sh
# Prints the package version, from git describe, in a form that deb, rpm and
# a file name all accept (digits first, no '-'):
#   tag v1.2.0, at the tag          -> 1.2.0
#   tag v1.2.0-rc1                  -> 1.2.0~rc1   (sorts before 1.2.0)
#   3 commits after v1.2.0          -> 1.2.0+git3.gabc1234
#   no v* tag                       -> 0.0.0~dev+gabc1234
#   not a git checkout              -> 0.0.0~dev
# A tree with uncommitted changes adds ".dirty" (or "+dirty").
set -eu
cd "$(dirname "$0")/.."
sha=$(git rev-parse --short HEAD 2>/dev/null) || { echo 0.0.0~dev; exit 0; }
meta=""
if tag=$(git describe --tags --match 'v[0-9]*' --abbrev=0 2>/dev/null); then
	base=$(echo "${tag#v}" | sed 's/-/~/')
	n=$(git rev-list --count "$tag..HEAD")
	[ "$n" -eq 0 ] || meta="git$n.g$sha"
else
	base="0.0.0~dev"
	meta="g$sha"
fi
if ! git diff --quiet HEAD -- 2>/dev/null; then
	meta="${meta:+$meta.}dirty"
fi
echo "$base${meta:++$meta}"

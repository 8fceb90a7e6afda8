#!/bin/sh
# catalog2c.sh CATALOG_JSON: prints the C source of the lifecycle table the
# module carries as its default catalog (the models of conf.example's
# catalog; its example deployments are dropped when it is loaded).  Run by
# the root `config` and by the Makefile, into the build directory.
set -e
echo "/* generated from $(basename "$1") by tools/catalog2c.sh */"
echo
echo '#include <stddef.h>'
echo
echo 'const char  azoai_catalog_builtin_json[] ='
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$1"
echo ';'
echo
echo 'const size_t  azoai_catalog_builtin_len ='
echo '    sizeof(azoai_catalog_builtin_json) - 1;'

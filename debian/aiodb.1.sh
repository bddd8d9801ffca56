#!/bin/sh
# aiodb(1), from the program's own --help: aiodb.1.sh AIODB VERSION
set -e
cat <<END
.TH AIODB 1 "" "aiodb $2" "User Commands"
.SH NAME
aiodb \\- query, describe, migrate and benchmark databases through aiodb
.SH SYNOPSIS AND DESCRIPTION
.nf
END
"$1" --help | sed -e 's/\\/\\e/g' -e 's/^\([.'\'']\)/\\\&\1/' -e 's/-/\\-/g'
cat <<END
.fi
.SH SEE ALSO
.BR aiodb (7),
the library's overview (package libaiodb\\-dev).
END

#!/usr/bin/env bash
# Regenerates the workbook fixtures in this folder with LibreOffice:
# roster.xlsx and sheets.xlsx from roster.fods and sheets.fods (flat ODS
# written by hand, as they hold what a CSV cannot: sheets, hidden sheets,
# merged cells, number and date formats, formulas, booleans), sheets.ods
# from sheets.fods, sds-v2.1-users.xlsx from ../samples/sds-v2.1-users.csv,
# and family.xlsx (students with their parents' columns) from family.csv.
# The fixtures are committed, so tests and CI never need LibreOffice; run
# this after changing a source, then `go test ./internal/csvimport/`.
#
# Needs LibreOffice Calc (Debian: apt-get install libreoffice-calc-nogui)
# and Go. A .fods that hides a sheet goes through LibreOffice twice: a
# headless conversion makes the first sheet the active one, and Calc always
# writes the active sheet as visible, so setview.go marks the sheets the
# .fods hides, and its first shown sheet as active, before the second pass
# writes the workbook. (That pass turns boolean cells into TRUE()/FALSE()
# formulas with a "TRUE";"TRUE";"FALSE" format, whose zero section excelize
# does not apply: the booleans are in sheets.fods, converted once.)
set -euo pipefail
cd "$(dirname "$0")"
command -v soffice >/dev/null || { echo "make-xlsx.sh needs LibreOffice: apt-get install libreoffice-calc-nogui" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lo() { soffice --headless --norestore "-env:UserInstallation=file://$work/profile" "$@" 2>&1 | grep -v javaldx || true; }

for src in *.fods; do
  name=${src%.fods}
  if ! grep -q 'table:display="false"' "$src"; then
    lo --convert-to xlsx --outdir . "$src"
    continue
  fi
  lo --convert-to xlsx --outdir "$work/pass1" "$src"
  mkdir -p "$work/pass2"
  go run setview.go "$src" "$work/pass1/$name.xlsx" "$work/pass2/$name.xlsx"
  lo --convert-to xlsx --outdir . "$work/pass2/$name.xlsx"
done
# An OpenDocument spreadsheet, which uploads refuse with a message.
lo --convert-to ods --outdir . sheets.fods
# A CSV: comma-separated, double quotes, UTF-8 (76), from its first line.
lo --infilter=CSV:44,34,76,1 --convert-to xlsx --outdir . ../samples/sds-v2.1-users.csv
# A users sheet naming each student's parents.
lo --infilter=CSV:44,34,76,1 --convert-to xlsx --outdir . family.csv
ls -l ./*.xlsx ./*.ods

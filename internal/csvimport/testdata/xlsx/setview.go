//go:build ignore

// Setview is a step of make-xlsx.sh: it copies an .xlsx that LibreOffice
// wrote from a .fods, setting in its workbook.xml the sheets the .fods hides
// as hidden and the first sheet it shows as the active one, so that a second
// LibreOffice pass writes them so. (A headless conversion makes the first
// sheet the active one, and the active sheet is always written as visible.)
//
// Usage: go run setview.go SOURCE.fods IN.xlsx OUT.xlsx
package main

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go run setview.go SOURCE.fods IN.xlsx OUT.xlsx")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "setview:", err)
		os.Exit(1)
	}
}

// hiddenSheets lists the tables of a .fods whose table style has
// table:display="false", and the names of all its tables in order.
func hiddenSheets(path string) (hidden map[string]bool, names []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	hiddenStyles, hidden := map[string]bool{}, map[string]bool{}
	var style string
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return hidden, names, nil
		}
		if err != nil {
			return nil, nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(local string) string {
			for _, a := range se.Attr {
				if a.Name.Local == local {
					return a.Value
				}
			}
			return ""
		}
		switch se.Name.Local {
		case "style":
			style = attr("name")
		case "table-properties":
			if attr("display") == "false" {
				hiddenStyles[style] = true
			}
		case "table":
			names = append(names, attr("name"))
			if hiddenStyles[attr("style-name")] {
				hidden[attr("name")] = true
			}
		}
	}
}

func run(fods, in, out string) error {
	hidden, names, err := hiddenSheets(fods)
	if err != nil {
		return err
	}
	active := 0
	for i, n := range names {
		if !hidden[n] {
			active = i
			break
		}
	}
	zr, err := zip.OpenReader(in)
	if err != nil {
		return err
	}
	defer zr.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(o)
	for _, zf := range zr.File {
		r, err := zf.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return err
		}
		if zf.Name == "xl/workbook.xml" {
			s := regexp.MustCompile(`activeTab="\d+"`).ReplaceAllString(string(b), fmt.Sprintf(`activeTab="%d"`, active))
			for n := range hidden {
				re := regexp.MustCompile(`(<sheet name="` + regexp.QuoteMeta(n) + `"[^>]*? state=")visible"`)
				s = re.ReplaceAllString(s, `${1}hidden"`)
			}
			b = []byte(s)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zf.Method})
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return o.Close()
}

"""Write fixtures/import/council_export.xlsx: a made-up council caseload export for the
`nearhome import` tests (synthetic pupils, made-up names and references, homes at real Rutland
coordinates as BNG). A title row merged over the columns, a blank row, then headers as a
case-management system writes them; dates of birth as spreadsheet serial numbers with a date
style; a formula with its cached value; a blank row inside the data; a repeated UPN; a school
given by name and one unknown.

Usage: python3 tools/council_export_fixture.py  (only the standard library is needed)
"""

import zipfile

from common import project

HEADERS = ["UPN", "Legal Surname", "Forename", "Date of Birth", "NC Year", "SEN Primary Need",
           "School", "Easting", "Northing", "Transport", "Address 1", "Favourite colour"]
# Serial 41640 = 2014-01-01; 40000 = 2009-07-06.
ROWS = [
    ["A123456789012", "Testperson", "Alex", 41640, None, "Autistic Spectrum Disorder",
     "Catmose College", 486100, 308600, "taxi", "1 Made Up Lane", "blue"],
    ["B223456789012", "Sampleton", "Sam", 40000, None, "SEMH",
     "uppingham-community-college-rb", 486700, 299900, "minibus", "2 Made Up Lane", "red"],
    None,
    ["C323456789012", "Examplar", "Jo", None, 3, "Speech, Language and Communication Needs",
     "", 491000, 307000, "", "3 Made Up Lane", ""],
    ["A123456789012", "Testperson", "Alex", 41640, None, "ASD",
     "Catmose College", 486100, 308600, "taxi", "1 Made Up Lane", "blue"],
    ["D423456789012", "Nobody", "Kim", 41000, None, "MLD",
     "No Such School", 486100, 308600, "taxi", "4 Made Up Lane", ""],
]


def col(i):
    return chr(ord("A") + i)


def cell(ref, value, date=False):
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        style = ' s="1"' if date else ""
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml():
    rows = [f'<row r="1">{cell("A1", "Caseload export - SEN team (made up)")}</row>']
    rows.append('<row r="2"></row>')
    rows.append('<row r="3">' + "".join(cell(f"{col(i)}3", h) for i, h in enumerate(HEADERS)) + "</row>")
    r = 4
    for data in ROWS:
        if data is None:
            rows.append(f'<row r="{r}"></row>')
        else:
            cells = []
            for i, v in enumerate(data):
                ref = f"{col(i)}{r}"
                if i == 4 and v is not None:
                    # NC Year as a formula with its cached value.
                    cells.append(f'<c r="{ref}"><f>1+2</f><v>{v}</v></c>')
                else:
                    cells.append(cell(ref, v, date=(i == 3)))
            rows.append(f'<row r="{r}">' + "".join(cells) + "</row>")
        r += 1
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<sheetData>" + "".join(rows) + "</sheetData>"
            '<mergeCells count="1"><mergeCell ref="A1:L1"/></mergeCells></worksheet>')


FILES = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Caseload" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
}


def main():
    path = project("fixtures", "import", "council_export.xlsx")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in FILES.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            z.writestr(info, text, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2025, 1, 1, 0, 0, 0))
        z.writestr(info, sheet_xml(), zipfile.ZIP_DEFLATED)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

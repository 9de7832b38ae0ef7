"""Write the other council-export fixtures for the `nearhome import` tests (synthetic pupils,
made-up names and references, homes at real Rutland coordinates):

- fixtures/import/council_merged.xlsx: a first sheet of notes (no header), then the export
  with a title row, a header over two rows (cells merged down, a date split over two
  lines, a "Placement" banner merged over URN, DfE number and type), placements by URN and
  DfE number, homes as grid references, dates of birth as text in several British forms and
  as a serial number, a formula with its cached text, a spreadsheet error, a US-order date,
  a repeated UPN, an unknown URN, a bad grid reference, a cell far right of the last column
  and a stray cell at XFD1048576 (a sheet that claims 17 billion cells).
- fixtures/import/council_export.xls and .ods: the rows of council_export.xlsx
  (tools/council_export_fixture.py) in the two other spreadsheet formats.

Usage: pip install xlwt odfpy && python3 tools/council_export_formats.py
"""

import datetime
import zipfile

from common import project
from council_export_fixture import FILES, HEADERS, ROWS


def col(i):
    """Spreadsheet column letters of a 0-based index."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(ord("A") + r) + s
    return s


def xml_text(v):
    return str(v).replace("&", "&amp;").replace("<", "&lt;")


def cell(ref, v):
    if v is None or v == "":
        return ""
    if isinstance(v, tuple):
        kind, value = v
        if kind == "date":
            return f'<c r="{ref}" s="1"><v>{value}</v></c>'
        if kind == "formula_text":
            formula, cached = value
            return f'<c r="{ref}" t="str"><f>{xml_text(formula)}</f><v>{xml_text(cached)}</v></c>'
        if kind == "error":
            return f'<c r="{ref}" t="e"><v>{value}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"><v>{v}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{xml_text(v)}</t></is></c>'


TOP = ["UPN", "Forename", "Date of", "SEN Primary", "Placement", "", "", "Transport", "Home"]
BOTTOM = ["", "", "Birth", "Need", "URN", "DfE Number", "Type", "", "Grid Reference"]
DATA = [
    ["U000000000001", "Alex", "12/03/2014", "ASD", 900001, "", "Special school", "Taxi", "SK 861 086"],
    ["U000000000002", "Sam", ("date", 40000), "ASD", "", "857/4001", "Resourced provision", "PTB", "SK 867 999"],
    None,
    ["U000000000003", "Jo", "2016-02-29", "Speech, Language and Communication Needs", "", "", "EOTAS", "", "486100 308600"],
    ["U000000000001", "Alex", "12/03/2014", "ASD", 900001, "", "Special school", "Taxi", "SK 861 086"],
    ["U000000000004", "Kim", ("error", "#N/A"), "MLD", 900001, "", "Special school", "Taxi", "SK 861 086"],
    ["U000000000005", "Lee", "03/13/2014", "MLD", 900001, "", "Special school", "Taxi", "SK 861 086"],
    ["U000000000006", "Max", "1 Sep 2013", "MLD", 999999, "", "Special school", "Taxi", "SK 861 086"],
    ["U000000000007", "Ray", "01.01.2012", ("formula_text", ('"SE"&"MH"', "SEMH")), 900001, "", "Special school", "Minibus", "ZZ 123 456"],
    ["U000000000008", "Ann", "12-Mar-15", "Autistic Spectrum Disorder", 900004, "", "Independent special school", "Bus pass", "486100, 308600"],
]


def merged_sheet_xml():
    rows = [f'<row r="1">{cell("A1", "SEN caseload export (made up)")}</row>']
    rows.append('<row r="2">' + "".join(cell(f"{col(i)}2", h) for i, h in enumerate(TOP)) + "</row>")
    rows.append('<row r="3">' + "".join(cell(f"{col(i)}3", h) for i, h in enumerate(BOTTOM)) + "</row>")
    r = 4
    for data in DATA:
        cells = "" if data is None else "".join(cell(f"{col(i)}{r}", v) for i, v in enumerate(data))
        if r == 5:
            cells += cell(f"{col(299)}{r}", "far right")
        rows.append(f'<row r="{r}">{cells}</row>')
        r += 1
    rows.append(f'<row r="1048576">{cell("XFD1048576", "stray")}</row>')
    merges = ["A1:I1", "A2:A3", "B2:B3", "E2:G2", "H2:H3"]
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:XFD1048576"/>'
            "<sheetData>" + "".join(rows) + "</sheetData>"
            f'<mergeCells count="{len(merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
            + "</mergeCells></worksheet>")


NOTES_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             f'<row r="1">{cell("A1", "Read me: made-up data for tests")}</row>'
             "</sheetData></worksheet>")


def write_merged():
    path = project("fixtures", "import", "council_merged.xlsx")
    files = dict(FILES)
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        '<Override PartName="/xl/worksheets/sheet1.xml"',
        '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml"')
    files["xl/workbook.xml"] = files["xl/workbook.xml"].replace(
        '<sheet name="Caseload" sheetId="1" r:id="rId1"/>',
        '<sheet name="Notes" sheetId="1" r:id="rId1"/><sheet name="Export" sheetId="2" r:id="rId3"/>')
    files["xl/_rels/workbook.xml.rels"] = files["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>')
    files["xl/worksheets/sheet1.xml"] = NOTES_XML
    files["xl/worksheets/sheet2.xml"] = merged_sheet_xml()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
    print(f"wrote {path}")


def serial_date(serial):
    return datetime.date(1899, 12, 30) + datetime.timedelta(days=serial)


def write_xls():
    import xlwt

    path = project("fixtures", "import", "council_export.xls")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Caseload")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    sheet.write(0, 0, "Caseload export - SEN team (made up)")
    for i, h in enumerate(HEADERS):
        sheet.write(2, i, h)
    r = 3
    for data in ROWS:
        if data is not None:
            for i, v in enumerate(data):
                if v is None or v == "":
                    continue
                if i == 3:
                    sheet.write(r, i, serial_date(v), date_style)
                else:
                    sheet.write(r, i, v)
        r += 1
    book.save(path)
    print(f"wrote {path}")


def write_ods():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    path = project("fixtures", "import", "council_export.ods")
    doc = OpenDocumentSpreadsheet()
    table = Table(name="Caseload")

    def row(values):
        tr = TableRow()
        for i, v in enumerate(values):
            if v is None or v == "":
                tr.addElement(TableCell())
            elif i == 3 and isinstance(v, int):
                d = serial_date(v).isoformat()
                c = TableCell(valuetype="date", datevalue=d)
                c.addElement(P(text=d))
                tr.addElement(c)
            elif isinstance(v, (int, float)):
                c = TableCell(valuetype="float", value=v)
                c.addElement(P(text=str(v)))
                tr.addElement(c)
            else:
                c = TableCell(valuetype="string")
                c.addElement(P(text=str(v)))
                tr.addElement(c)
        table.addElement(tr)

    row(["Caseload export - SEN team (made up)"])
    row([])
    row(HEADERS)
    for data in ROWS:
        row(data if data is not None else [])
    doc.spreadsheet.addElement(table)
    doc.save(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    write_merged()
    write_xls()
    write_ods()

"""Build the sample office workbooks in this folder (run once; files are committed).

They imitate the sheets a Bildungsbüro keeps: a title, a "Stand:" line, merged cells,
a hidden column, a hidden sheet, a sheet of dropdown lists, sum and footnote rows, a
two-row header, German money and date forms, a cp1252 CSV and an ODS contact list.
Run: ``/work/venv/bin/python tests/data/imports/make_samples.py``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.datetime import CALENDAR_MAC_1904

HERE = Path(__file__).parent


def overview() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Übersicht"
    ws["A1"] = "Förderprogramme des Regionalen Bildungsbüros Kreis Recklinghausen"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:K1")
    ws["A2"] = "Stand: 15.03.2017"
    header = [
        "lfd. Nr.",
        "Programm / Projekt",
        "Fördergeber",
        "Art",
        "Laufzeit",
        "Fördersumme\n(€)",
        "Eigenanteil",
        "Förderkennzeichen",
        "Ansprechpartner/in",
        "E-Mail",
        "Status",
        "Bemerkungen",
        "intern",
    ]
    ws.append([])
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    ws.append(["Landesprogramme"])
    ws.merge_cells("A5:L5")
    rows = [
        [
            1,
            "Regionales Bildungsnetzwerk (RBN)",
            "Land NRW / Kreis Recklinghausen",
            "Land / Kommune",
            "seit 02/2010",
            None,
            None,
            None,
            "Frau Albers",
            "albers@kreis-re.de",
            "läuft",
            "Kooperationsvertrag mit dem Land",
            "x1",
        ],
        [
            2,
            "Kein Abschluss ohne Anschluss (KAoA)",
            "MAIS NRW",
            "Land",
            "2013 ff.",
            "1.234.567,89 €",
            None,
            None,
            "Herr Brandt",
            "brandt@kreis-re.de",
            "läuft",
            None,
            "x2",
        ],
        [
            3,
            "Lebenswelten aktiv gestalten",
            "MAIS NRW / RAG-Stiftung",
            "Land / Stiftung",
            "11/2016 – 4/2018",
            "120 TEUR",
            "50.000,-",
            None,
            "Frau Albers",
            "albers@kreis-re.de",
            "bewilligt",
            "mit Gelsenkirchen und Bottrop",
            "x3",
        ],
    ]
    for row in rows:
        ws.append(row)
    ws.append(["Bundesprogramme"])
    ws.merge_cells(f"A{ws.max_row}:L{ws.max_row}")
    rows = [
        [
            4,
            "Kommunale Koordinierung Neuzugewanderte",
            "BMBF",
            "Bund",
            "ab 1. August 2016",
            "1,2 Mio. €",
            None,
            "01NZ1600A",
            "Frau Celik",
            "celik@kreis-re.de",
            "läuft",
            None,
            "x4",
        ],
        [
            5,
            "Zukunftsstadt",
            "BMBF",
            "Bund",
            "1.11.2016 – 30.4.2018",
            50000,
            5000.5,
            "01UR1605A",
            "Herr Brandt",
            "brandt@kreis-re.de",
            "läuft",
            "Phase II",
            "x5",
        ],
        [
            6,
            "Zukunftsstadt",
            "BMBF",
            "Bund",
            "01.11.2016-30.04.2018",
            25000,
            None,
            "01UR1605B",
            "Herr Brandt",
            "brandt@kreis-re.de",
            "läuft",
            "Teilprojekt Stadt Marl",
            "x6",
        ],
        [
            7,
            "mini.MINT.Macher",
            "Stiftung Mercator",
            None,
            "Nov. 2016 – Okt. 2018",
            "80.000",
            None,
            None,
            "Frau Celik",
            "celik@kreis-re.de",
            "läuft",
            None,
            "x7",
        ],
        [
            8,
            "Bildungsmonitoring",
            "Kreis Recklinghausen",
            "Kommune",
            "31.02.2017 – 2018",
            "12.000",
            None,
            None,
            None,
            None,
            "läuft",
            None,
            "x8",
        ],
        [
            9,
            "Medienbildung",
            "Land NRW",
            "Land",
            2017,
            "viel Geld",
            None,
            None,
            None,
            None,
            "geplant",
            None,
            "x9",
        ],
    ]
    for row in rows:
        ws.append(row)
    ws.append([])
    total_row = ws.max_row + 1
    ws.append([None, "Summe", None, None, None, f"=SUM(F6:F{total_row - 2})"])
    ws.append(["* Beträge ohne Gewähr; Stand der Bewilligungen"])
    ws.column_dimensions["M"].hidden = True
    hidden = wb.create_sheet("alt 2015")
    hidden.append(["Programm", "Fördergeber", "Laufzeit"])
    hidden.append(["Altprogramm", "Land NRW", "2010 – 2012"])
    hidden.sheet_state = "hidden"
    lists = wb.create_sheet("Listen")
    for word in ("läuft", "abgeschlossen", "beantragt", "bewilligt", "abgelehnt"):
        lists.append([word])
    wb.save(HERE / "uebersicht.xlsx")


def deadlines() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Fristen 2017"
    ws["A1"] = "Fristenliste Bildungsbüro"
    ws["A2"] = "Stand: 01.03.2017"
    ws.append([])
    ws.append(["Programm", "Was?", "fällig am", "zuständig", "E-Mail", "erledigt"])
    rows = [
        [
            "KAoA",
            "Zwischennachweis 2016",
            "30.04.2017",
            "Herr Brandt",
            "brandt@kreis-re.de",
            None,
        ],
        [
            "Lebenswelten",
            "Sachbericht",
            date(2017, 6, 30),
            "Frau Albers",
            "albers@kreis-re.de",
            "x",
        ],
        [
            "Kommunale Koordinierung Neuzugewanderte",
            "Verwendungsnachweis",
            43373,
            "Frau Celik",
            "celik@kreis-re.de",
            "erledigt am 3.4.2017",
        ],
        [
            "Zukunftsstadt",
            "Mittelabruf 2. Quartal",
            "11/2017",
            "Herr Brandt",
            "brandt@kreis-re.de",
            "nein",
        ],
        [
            "Regionales Bildungsnetzwerk",
            "Bildungskonferenz",
            "Nov. 2017",
            "Frau Albers",
            "albers@kreis-re.de",
            None,
        ],
        [
            "Zukunftstadt",
            "Sachbericht",
            "31.12.2017",
            "Herr Brandt",
            "brandt@kreis-re.de",
            None,
        ],
        ["Lernen vor Ort", "Abschlussbericht", "30.06.2017", None, None, None],
        ["KAoA", "Zwischennachweis 2017", "nächste Woche", None, None, None],
    ]
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["Hinweis: Fristen laut Bescheid, bitte Rücksprache mit der Leitung"])
    wb.save(HERE / "fristen.xlsx")


def deadlines_csv() -> None:
    lines = [
        "Fristenliste;;;;",
        "Programm;Was?;Frist;zuständig;erledigt",
        "KAoA;Zwischennachweis 2016;30.04.2017;Herr Brandt;",
        "Lebenswelten aktiv gestalten;Verwendungsnachweis;31.10.2018;Frau Albers;",
        "Zukunftsstadt;Sachbericht Phase II;30.06.2018;Herr Brandt;ja",
        "mini.MINT.Macher;Zwischenbericht für die Stiftung;15.01.2018;Frau Celik;",
    ]
    (HERE / "fristen_cp1252.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    (HERE / "fristen_utf8_bom.csv").write_bytes(
        "\ufeff".encode() + "\n".join(lines).replace(";", ",").encode()
    )


def budget() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Finanzierungsplan"
    ws["A1"] = "Finanzierungsplan Lebenswelten aktiv gestalten"
    ws["A2"] = "Stand: 01.12.2016"
    ws.append([])
    ws.append(["Position", 2016, 2017, 2018, "Summe"])
    plan = [
        ("Personal", "12.500,00", 48000, 16000),
        ("Sachausgaben", 1500, "3.000", 1000),
        ("Honorare", None, "7.500 €", "2.500 €"),
        ("Reisen", 200, 800, 300),
    ]
    for index, (category, *years) in enumerate(plan, start=5):
        ws.append([category, *years, f"=SUM(B{index}:D{index})"])
    ws.append(["Gesamt", "=SUM(B5:B8)", "=SUM(C5:C8)", "=SUM(D5:D8)", "=SUM(E5:E8)"])
    wb.save(HERE / "finanzplan.xlsx")


def contacts() -> None:
    frame = pd.DataFrame(
        {
            "Name": ["Frau Albers", "Herr Brandt", "Frau Celik", "Dr. Dahl"],
            "Funktion": [
                "Leitung Bildungsbüro",
                "Koordination KAoA",
                "Kommunale Koordinierung",
                None,
            ],
            "Organisation": ["Kreis Recklinghausen"] * 3 + ["Stiftung Mercator"],
            "E-Mail": [
                "albers@kreis-re.de",
                "brandt@kreis-re.de",
                "celik@kreis-re.de",
                "keine Angabe",
            ],
        }
    )
    frame.to_excel(
        HERE / "kontakte.ods", engine="odf", index=False, sheet_name="Kontakte"
    )


def mac_1904() -> None:
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Fristen"
    ws.append(["Programm", "Was?", "fällig am"])
    ws.append(["KAoA", "Zwischennachweis 2016", 41758])
    ws.append(["Zukunftsstadt", "Sachbericht", "=B2"])
    wb.save(HERE / "fristen_mac1904.xlsx")


if __name__ == "__main__":
    overview()
    deadlines()
    deadlines_csv()
    budget()
    contacts()
    mac_1904()

"""Write fixtures/scenarios/birmingham/ward_send_area.csv: the 69 wards -> the six SEND areas.

Birmingham's *Developing Provision Locally* paper (shared/seeds/001) names six SEND areas and
the school consortia each groups, but publishes no ward list. We build the mapping from the
consortia names and the council's ward -> district (parliamentary constituency) -> locality
hierarchy (shared/data/lookups/brum_ward_info_ward_list.csv, BSol ICS). Every ward carries a
note; a note starting "JUDGEMENT:" marks a call that could reasonably go the other way.

Rule of thumb used: the five council localities (East, North, West, South, Central) are the
starting point; the six SEND areas differ from them where the consortia names say so:
  * East  = locality East (Hodge Hill + Yardley districts): Cole Heath, East Wards, FAYs,
            Saltley Plus consortia.
  * North = locality North (Erdington + Sutton Coldfield districts) plus the Perry Barr
            consortium's wards (Perry Barr, Oscott) from locality West.
  * North West = locality West less Perry Barr and Oscott: Handsworth, Aston & Nechells,
            Ladywood consortia.
  * South West = locality South (Northfield + Edgbaston districts) less King's Norton South,
            plus Weoley & Selly Oak: Northfield, Senneleys (Senneleys Park, Weoley/Bartley
            Green), Quinborne (Quinborne Centre, Harborne/Quinton) consortia.
  * Central = the Sparklers consortium (Sparkbrook/Sparkhill): the inner Hall Green
            district wards.
  * South = the rest of locality Central: Kings Norton and Hall Green consortia.

Usage: python3 tools/birmingham_send_areas.py
"""

import csv

from common import project, shared

# ward name -> (send area, note)
MAPPING = {
    # East: Hodge Hill + Yardley districts (locality East)
    "Acocks Green": ("East", "Yardley district, locality East; FAYs/East Wards consortia area"),
    "Alum Rock": ("East", "Hodge Hill district, locality East; Saltley Plus consortium (Saltley/Alum Rock)"),
    "Bordesley Green": ("East", "Hodge Hill district, locality East; Saltley Plus / East Wards"),
    "Bromford & Hodge Hill": ("East", "Hodge Hill district, locality East; Cole Heath / East Wards"),
    "Garretts Green": ("East", "Yardley district, locality East"),
    "Glebe Farm & Tile Cross": ("East", "Hodge Hill district, locality East; Cole Heath consortium (River Cole)"),
    "Heartlands": ("East", "Hodge Hill district, locality East; Saltley Plus consortium (Washwood Heath)"),
    "Shard End": ("East", "Hodge Hill district, locality East; Cole Heath consortium"),
    "Sheldon": ("East", "Yardley district, locality East; FAYs consortium"),
    "Small Heath": ("East", "JUDGEMENT: Yardley district and locality East, so East; it borders Sparkhill (Central/Sparklers) and Bordesley & Highgate"),
    "South Yardley": ("East", "Yardley district, locality East; FAYs consortium"),
    "Ward End": ("East", "Hodge Hill district, locality East; Saltley Plus / East Wards"),
    "Yardley East": ("East", "Yardley district, locality East; FAYs consortium"),
    "Yardley West & Stechford": ("East", "Yardley district, locality East; FAYs / East Wards"),
    # North: Erdington + Sutton Coldfield districts (locality North) + Perry Barr consortium
    "Castle Vale": ("North", "Erdington district, locality North; Erdington consortium"),
    "Erdington": ("North", "Erdington district, locality North; Erdington consortium"),
    "Gravelly Hill": ("North", "Erdington district, locality North; Erdington consortium"),
    "Kingstanding": ("North", "Erdington district, locality North; Erdington/Perry Barr consortia"),
    "Perry Common": ("North", "Erdington district, locality North"),
    "Pype Hayes": ("North", "Erdington district, locality North"),
    "Stockland Green": ("North", "Erdington district, locality North"),
    "Sutton Four Oaks": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Mere Green": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Reddicap": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Roughley": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Trinity": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Vesey": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Walmley & Minworth": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Sutton Wylde Green": ("North", "Sutton Coldfield district, locality North; Sutton Coldfield consortium"),
    "Perry Barr": ("North", "JUDGEMENT: Perry Barr district but locality West; the plan puts the Perry Barr consortium in North"),
    "Oscott": ("North", "JUDGEMENT: Perry Barr district, locality West; north of Perry Barr, grouped with the Perry Barr consortium in North"),
    # North West: Ladywood district + the Handsworth side of Perry Barr district
    "Aston": ("North West", "Ladywood district, locality West; Aston & Nechells consortium"),
    "Nechells": ("North West", "Ladywood district, locality West; Aston & Nechells consortium"),
    "Ladywood": ("North West", "Ladywood district, locality West; Ladywood consortium"),
    "Newtown": ("North West", "Ladywood district, locality West; Aston & Nechells / Ladywood consortia"),
    "Soho & Jewellery Quarter": ("North West", "Ladywood district, locality West; Ladywood consortium"),
    "Bordesley & Highgate": ("North West", "JUDGEMENT: Ladywood district and locality West, so North West (Ladywood consortium); it lies south-east of the centre next to Central (Sparklers)"),
    "Handsworth": ("North West", "Perry Barr district, locality West; Handsworth consortium"),
    "Handsworth Wood": ("North West", "Perry Barr district, locality West; Handsworth consortium"),
    "Lozells": ("North West", "Perry Barr district, locality West; Handsworth / Aston consortia"),
    "Birchfield": ("North West", "JUDGEMENT: Perry Barr district, locality West; next to Lozells and Aston, put with Handsworth rather than the Perry Barr consortium"),
    "Holyhead": ("North West", "Perry Barr district, locality West; Handsworth consortium"),
    # South West: Northfield + Edgbaston districts (locality South) less King's Norton South, + Weoley & Selly Oak
    "Allens Cross": ("South West", "Northfield district, locality South; Northfield consortium"),
    "Frankley Great Park": ("South West", "Northfield district, locality South; Northfield consortium"),
    "Longbridge & West Heath": ("South West", "Northfield district, locality South; Northfield consortium"),
    "Northfield": ("South West", "Northfield district, locality South; Northfield consortium"),
    "Rubery & Rednal": ("South West", "Northfield district, locality South; Northfield consortium"),
    "Bartley Green": ("South West", "Edgbaston district, locality South; Senneleys consortium (Senneleys Park)"),
    "Quinton": ("South West", "Edgbaston district, locality South; Quinborne consortium (Quinborne Centre)"),
    "Harborne": ("South West", "Edgbaston district, locality South; Quinborne consortium"),
    "Edgbaston": ("South West", "JUDGEMENT: Edgbaston district, locality South; no consortium is named for it, grouped with its district"),
    "North Edgbaston": ("South West", "JUDGEMENT: Edgbaston district, locality South; no consortium is named for it, grouped with its district (borders Ladywood/North West)"),
    "Weoley & Selly Oak": ("South West", "JUDGEMENT: Selly Oak district, locality Central; Senneleys Park lies on its boundary with Bartley Green, so with the Senneleys consortium"),
    # Central: Sparklers (Sparkbrook / Sparkhill)
    "Sparkbrook & Balsall Heath East": ("Central", "Hall Green district, locality Central; Sparklers consortium (Sparkbrook)"),
    "Sparkhill": ("Central", "Hall Green district, locality Central; Sparklers consortium (Sparkhill)"),
    "Balsall Heath West": ("Central", "JUDGEMENT: Hall Green district, locality Central; Balsall Heath is split with Sparkbrook & Balsall Heath East, kept together in Sparklers"),
    "Tyseley & Hay Mills": ("Central", "JUDGEMENT: Hall Green district, locality Central; between Sparkhill and Acocks Green, put with Sparklers (could be East/FAYs or South/Hall Green)"),
    # South: Kings Norton + Hall Green consortia (rest of locality Central + King's Norton South)
    "King's Norton North": ("South", "Selly Oak district, locality Central; Kings Norton consortium"),
    "King's Norton South": ("South", "JUDGEMENT: Northfield district and locality South, but named by the Kings Norton consortium, so South"),
    "Druids Heath & Monyhull": ("South", "Selly Oak district, locality Central; Kings Norton consortium area"),
    "Highter's Heath": ("South", "Selly Oak district, locality Central; Kings Norton consortium area"),
    "Brandwood & King's Heath": ("South", "Selly Oak district, locality Central; between the Kings Norton and Hall Green consortia"),
    "Stirchley": ("South", "Selly Oak district, locality Central; Kings Norton consortium area"),
    "Billesley": ("South", "Selly Oak district, locality Central; Hall Green / Kings Norton consortia"),
    "Bournville & Cotteridge": ("South", "JUDGEMENT: Selly Oak district, locality Central; Cotteridge adjoins Kings Norton, so South rather than South West"),
    "Bournbrook & Selly Park": ("South", "JUDGEMENT: Selly Oak district, locality Central; kept with its district in South (could be South West)"),
    "Hall Green North": ("South", "Hall Green district, locality Central; Hall Green consortium"),
    "Hall Green South": ("South", "Hall Green district, locality Central; Hall Green consortium"),
    "Moseley": ("South", "JUDGEMENT: Hall Green district, locality Central; put with the Hall Green consortium rather than Sparklers"),
}

# The notional budget shares (Developing Provision Locally, appendix one).
BUDGET_GBP = {
    "East": 1620339.70,
    "Central": 673307.61,
    "South": 902034.24,
    "South West": 897508.52,
    "North": 1136804.12,
    "North West": 1225005.80,
}
CONSORTIA = {
    "East": "Cole Heath; East Wards; FAYs; Saltley Plus",
    "Central": "Sparklers (Sparkbrook/Sparkhill)",
    "South": "Kings Norton; Hall Green",
    "South West": "Northfield; Senneleys; Quinborne",
    "North": "Erdington; Perry Barr; Sutton Coldfield",
    "North West": "Handsworth; Aston & Nechells; Ladywood",
}


def main():
    rows = list(csv.DictReader(open(shared("lookups", "brum_ward_info_ward_list.csv"), encoding="utf-8-sig")))
    if len(rows) != 69:
        raise SystemExit(f"expected 69 wards, found {len(rows)}")
    names = {r["Ward"] for r in rows}
    missing = names - MAPPING.keys()
    extra = MAPPING.keys() - names
    if missing or extra:
        raise SystemExit(f"mapping mismatch: missing {sorted(missing)}, unknown {sorted(extra)}")
    out_path = project("fixtures", "scenarios", "birmingham", "ward_send_area.csv")
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["ward_code", "ward_name", "district", "locality", "send_area", "note"])
        for r in sorted(rows, key=lambda r: r["Ward Code"]):
            area, note = MAPPING[r["Ward"]]
            w.writerow([r["Ward Code"], r["Ward"], r["Constituency"], r["Locality"], area, note])
    counts = {}
    for area, _ in MAPPING.values():
        counts[area] = counts.get(area, 0) + 1
    print(f"wrote {out_path}: {counts}")


if __name__ == "__main__":
    main()

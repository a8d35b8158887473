"""A deterministic corpus of realistic, varied English prose, plus the SQuAD 2.0 paragraphs.

The generator writes news-, report- and minutes-like documents from word lists
and sentence templates: people, organisations, places, dates, amounts and
topic vocabulary drawn with a Zipf-like skew, so BM25 sees common and rare
terms as in real text and dense retrieval sees topical clusters. Document `i`
depends only on (seed, i), so a larger corpus extends a smaller one.

SQuAD 2.0 (Rajpurkar, Jia and Liang, 2018) is CC BY-SA 4.0; see SQUAD_ATTRIBUTION.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

SQUAD_DIR = Path("/work/shared/data/squad2")


def _w(text: str, sep: str | None = None) -> list[str]:
    """A word list written as one string (easier to read and edit than a list literal)."""
    return text.split(sep)


SQUAD_ATTRIBUTION = (
    "SQuAD 2.0 (Rajpurkar, Jia and Liang, 2018, https://rajpurkar.github.io/SQuAD-explorer/), "
    "licensed CC BY-SA 4.0: a 411-paragraph / 250-question sample of the dev set from "
    "/work/shared/data/squad2, used unchanged."
)

FIRST = _w(
    "Amara Ana Andrei Anika Arjun Astrid Beatriz Bilal Bruno Camila Carlos Chen Chiara Chloe "
    "Daniel Dara Dmitri Elena Elif Emeka Emil Esther Fatima Felix Freya Gabriel Grace Hana "
    "Hassan Helena Hugo Ibrahim Ingrid Isaac Ivana Jamal James Jana Javier Joanna Jonas Julia "
    "Kai Kamala Karin Kenji Kofi Laila Lars Leila Liam Lina Lucas Luis Maja Malik Marco Maria "
    "Marta Mateo Mei Mihai Mina Miriam Nadia Naomi Nikolai Noor Olga Omar Oscar Pablo Priya "
    "Rafael Rania Ravi Rosa Ruth Sami Sara Selin Sofia Stefan Sunita Tariq Teresa Thomas Tomas "
    "Vera Viktor Wei Yara Yusuf Zainab Zofia Adebayo Agnes Bogdan Carmen Dilnoza Eero Farah "
    "Goran Halima Imre Jorge Katarzyna Lucia Mehmet Nils Orla Petra Quentin Rustam Signe Thabo"
)
LAST = _w(
    "Abdullah Adeyemi Alvarez Andersen Aydin Bakker Banerjee Becker Bianchi Boateng Brennan "
    "Castro Chowdhury Costa Dahl Demir Dimitrov Dubois Eriksson Esposito Farouk Fischer Fonseca "
    "Garcia Greco Gupta Haddad Hansen Hoffmann Horvath Ibrahimov Ivanova Jansen Jovanovic Kaya "
    "Keller Khan Kim Kowalski Kruger Larsen Laurent Lindqvist Lopez Mahmoud Marin Mendes Mensah "
    "Moreau Morita Nakamura Nascimento Nguyen Novak Nowak Okafor Olsen Ortiz Osei Park Pereira "
    "Petrov Popescu Quispe Rahman Ramos Rossi Russo Sato Schmidt Silva Singh Sokolov Suzuki "
    "Tanaka Torres Tran Urquhart Varga Vasquez Vogel Wagner Weber Wojcik Yamamoto Yilmaz Zhang "
    "Ziegler Achebe Balogun Cerny Draganova Ekwueme Forsberg Gallagher Halvorsen Iqbal Juarez "
    "Kovac Lehtonen Magnusson Nikolaidis Ostrowski Pacheco Rautio Salonen Takahashi Uchenna"
)
CITIES = _w(
    "Aarhus Accra Almaty Antwerp Asuncion Baku Bergen Bilbao Bologna Bordeaux Brno Bucharest "
    "Cluj Cork Curitiba Dakar Debrecen Dundee Durban Eindhoven Espoo Faro Gdansk Ghent Graz "
    "Gothenburg Hamburg Hanoi Izmir Kaunas Kisumu Krakow Kyoto Leipzig Leon Lille Linz Ljubljana "
    "Lodz Lyon Malmo Manaus Medellin Mombasa Montevideo Nantes Novi-Sad Odense Oporto Oulu Perth "
    "Plovdiv Porto-Alegre Poznan Pune Quito Recife Riga Rosario Rotterdam Salvador Sapporo "
    "Seville Skopje Split Surabaya Tallinn Tampere Tartu Timisoara Toulouse Trieste Turin "
    "Utrecht Valencia Varna Vilnius Windhoek Wroclaw Zagreb Zaragoza Zurich"
)
REGIONS = _w(
    "the northern provinces|the coastal districts|the river valley|the eastern highlands|"
    "the metropolitan area|the southern border region|the inland plateau|the delta|"
    "the mountain communes|the western islands|the industrial belt|the lake district",
    "|",
)
ORG_KINDS = _w(
    "Institute|Authority|Council|Agency|Foundation|Cooperative|Consortium|Commission|"
    "Association|Board|Trust|Laboratory|Ministry|Directorate|Observatory|Alliance",
    "|",
)
MONTHS = _w("January February March April May June July August September October November December")
WEEKDAYS = _w("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")

TOPICS: dict[str, dict[str, list[str]]] = {
    "energy": {
        "nouns": _w(
            "grid turbine substation reservoir pipeline tariff battery storage "
            "interconnector wind-farm solar-array transmission-line peak-demand heat-pump "
            "refinery kilowatt-hour generator dam biomass-plant hydrogen-electrolyser"
        ),
        "things": _w(
            "power plants|wind turbines|battery systems|heat pumps|transmission lines|"
            "solar panels|charging stations|gas boilers",
            "|",
        ),
        "unit": ["megawatts", "gigawatt-hours", "kilowatts", "tonnes of carbon dioxide"],
    },
    "health": {
        "nouns": _w(
            "clinic vaccine ward hospital screening programme dosage trial cohort "
            "outbreak pharmacy diagnosis ambulance-service immunisation-campaign surgeon "
            "paediatric-unit waiting-list blood-bank epidemiologist antibiotic"
        ),
        "things": _w(
            "patients|nurses|hospital beds|vaccine doses|clinical trials|"
            "ambulances|diagnostic tests|prescriptions",
            "|",
        ),
        "unit": ["patients", "doses", "beds", "cases per 100,000 residents"],
    },
    "shipping": {
        "nouns": _w(
            "port harbour terminal container vessel freight customs warehouse "
            "dredging quay tonnage berth logistics-hub rail-link cargo-manifest tugboat "
            "breakwater ferry-route dry-dock pilotage"
        ),
        "things": _w(
            "containers|cargo ships|ferries|cranes|freight trains|warehouses|tankers|barges", "|"
        ),
        "unit": ["containers", "tonnes", "vessels", "twenty-foot equivalent units"],
    },
    "agriculture": {
        "nouns": _w(
            "harvest irrigation orchard vineyard drought fertiliser soil cattle "
            "granary cooperative seed-bank pasture wheat barley olive-grove greenhouse "
            "livestock tractor pesticide crop-rotation"
        ),
        "things": _w(
            "farms|hectares of wheat|dairy cows|tractors|greenhouses|orchards|"
            "vineyards|irrigation canals",
            "|",
        ),
        "unit": ["hectares", "tonnes of grain", "litres of milk", "head of cattle"],
    },
    "education": {
        "nouns": _w(
            "curriculum school university scholarship enrolment teacher lecture "
            "examination campus library apprenticeship literacy dormitory faculty "
            "kindergarten syllabus tuition laboratory graduate vocational-college"
        ),
        "things": _w(
            "students|teachers|classrooms|scholarships|schools|textbooks|laptops|apprenticeships",
            "|",
        ),
        "unit": ["students", "graduates", "teachers", "classrooms"],
    },
    "software": {
        "nouns": _w(
            "database server release compiler deployment outage latency cluster "
            "firmware encryption backup repository protocol kernel dashboard api-gateway "
            "load-balancer patch vulnerability migration"
        ),
        "things": _w(
            "servers|user accounts|software licences|data centres|support tickets|"
            "mobile devices|cloud instances|security patches",
            "|",
        ),
        "unit": ["requests per second", "users", "servers", "milliseconds"],
    },
    "finance": {
        "nouns": _w(
            "budget bond dividend audit deficit loan mortgage pension inflation "
            "treasury ledger subsidy tax-credit interest-rate bank balance-sheet invoice "
            "grant revenue procurement"
        ),
        "things": _w(
            "loans|bonds|pension funds|small businesses|tax returns|invoices|"
            "savings accounts|grants",
            "|",
        ),
        "unit": ["million euros", "billion dollars", "percent", "basis points"],
    },
    "transport": {
        "nouns": _w(
            "railway tram bus-lane bridge tunnel motorway timetable station "
            "ticketing platform signalling cycle-path airport runway depot junction "
            "rolling-stock congestion-charge ring-road viaduct"
        ),
        "things": _w(
            "trains|buses|bicycles|passengers|trams|parking spaces|flights|electric scooters", "|"
        ),
        "unit": ["passengers", "kilometres", "journeys", "minutes"],
    },
    "environment": {
        "nouns": _w(
            "wetland forest emissions wildfire flood-barrier biodiversity "
            "watershed recycling landfill estuary reforestation air-quality coral-reef "
            "nature-reserve glacier erosion pollinator sewage-plant compost peatland"
        ),
        "things": _w(
            "trees|nesting pairs|species|recycling bins|tonnes of waste|"
            "monitoring stations|hectares of forest|volunteers",
            "|",
        ),
        "unit": ["hectares", "tonnes", "species", "micrograms per cubic metre"],
    },
    "culture": {
        "nouns": _w(
            "museum festival exhibition archive theatre manuscript orchestra "
            "gallery restoration film heritage-site library choir sculpture premiere "
            "collection curator opera translation biennale"
        ),
        "things": _w(
            "visitors|paintings|concerts|manuscripts|films|performers|tickets|artefacts", "|"
        ),
        "unit": ["visitors", "works", "tickets", "performances"],
    },
}

ADJ = _w(
    "new revised ambitious modest controversial long-awaited provisional annual regional "
    "national municipal independent preliminary comprehensive experimental temporary "
    "permanent joint bilateral cross-border innovative cautious delayed expanded "
    "underfunded overdue successful disputed landmark routine unexpected critical"
)
VERBS = _w(
    "approve:approved expand:expanded delay:delayed review:reviewed fund:funded "
    "suspend:suspended launch:launched cancel:cancelled extend:extended audit:audited "
    "complete:completed propose:proposed reject:rejected upgrade:upgraded "
    "inspect:inspected renew:renewed restructure:restructured finance:financed "
    "publish:published relocate:relocated"
)
VERBS_PAIRS = [tuple(v.split(":")) for v in VERBS]
REPORTING = _w("said|stated|argued|noted|warned|confirmed|told reporters|wrote|explained", "|")
ROLES = _w(
    "director|chair|spokesperson|chief engineer|minister|mayor|senior analyst|"
    "project manager|treasurer|head of operations|deputy governor|lead researcher",
    "|",
)
CONNECT = _w(
    "However,|Meanwhile,|In addition,|As a result,|By contrast,|At the same time,|"
    "According to officials,|In practice,|Even so,|Later that year,",
    "|",
)
ADVERBS = _w("sharply|slightly|steadily|again|significantly|briefly|quietly|gradually", "|")


def _zipf_picker(words: list[str], s: float = 1.05):
    """choose(rng) draws words[i] with probability proportional to 1 / (i + 1)^s."""
    cum = list(accumulate(1.0 / (i + 1) ** s for i in range(len(words))))

    def choose(rng: random.Random) -> str:
        return rng.choices(words, cum_weights=cum)[0]

    return choose


_first = _zipf_picker(FIRST, 0.7)
_last = _zipf_picker(LAST, 0.7)
_city = _zipf_picker(CITIES, 0.9)


@dataclass
class _Ctx:
    """Per-document state: the cast and topic that recur through its sentences."""

    rng: random.Random
    topic: str
    people: list[tuple[str, str]]  # (name, role)
    orgs: list[str]
    city: str
    year: int

    def w(self, key: str) -> str:
        words = TOPICS[self.topic][key]
        # skewed pick inside the topic list: a few words dominate, as in real text
        i = min(int(self.rng.paretovariate(1.3)) - 1, len(words) - 1)
        return words[i].replace("-", " ")


def _name(rng: random.Random) -> str:
    return f"{_first(rng)} {_last(rng)}"


def _org(rng: random.Random, topic: str) -> str:
    kind = rng.choice(ORG_KINDS)
    style = rng.random()
    noun = rng.choice(TOPICS[topic]["nouns"]).replace("-", " ").title()
    if style < 0.35:
        return f"{_city(rng)} {noun} {kind}"
    if style < 0.65:
        return f"the {kind} for {noun} Research"
    if style < 0.85:
        return f"{_last(rng)} & {_last(rng)} {kind}"
    return f"the National {noun} {kind}"


def _date(ctx: _Ctx) -> str:
    r = ctx.rng
    month = r.choice(MONTHS)
    style = r.random()
    if style < 0.5:
        return f"{month} {r.randint(1, 28)}, {ctx.year + r.randint(-2, 1)}"
    if style < 0.8:
        return f"{r.randint(1, 28)} {month} {ctx.year + r.randint(-2, 1)}"
    return f"{month} {ctx.year + r.randint(-3, 1)}"


def _amount(ctx: _Ctx) -> str:
    r = ctx.rng
    unit = r.choice(TOPICS[ctx.topic]["unit"])
    style = r.random()
    if style < 0.4:
        return f"{r.randint(2, 950):,} {unit}"
    if style < 0.7:
        return f"{r.uniform(1, 99):.1f} {unit}"
    return f"{r.randint(1_000, 250_000):,} {unit}"


def _person(ctx: _Ctx) -> tuple[str, str]:
    return ctx.rng.choice(ctx.people)


def _sentence(ctx: _Ctx) -> str:
    r = ctx.rng
    name, role = _person(ctx)
    org = r.choice(ctx.orgs)
    noun, noun2 = ctx.w("nouns"), ctx.w("nouns")
    things = r.choice(TOPICS[ctx.topic]["things"])
    verb, past = r.choice(VERBS_PAIRS)
    adj = r.choice(ADJ)
    city = ctx.city if r.random() < 0.6 else _city(r)
    pct = f"{r.randint(2, 48)} percent"
    templates = [
        f"{name}, the {role} of {org}, {r.choice(REPORTING)} that the {adj} {noun} in "
        f"{city} would be {past} by {_date(ctx)}.",
        f"The {noun} was {past} in {city} on {_date(ctx)} after {len(ctx.people) + 1} "
        f"months of talks between {org} and local officials.",
        f"According to a report published by {org}, the number of {things} in "
        f"{r.choice(REGIONS)} rose {r.choice(ADVERBS)} to {_amount(ctx)} in {ctx.year}.",
        f"Funding for the {noun2} came to {r.randint(2, 900)} million euros, of which "
        f"{pct} was provided by {org}.",
        f'{name} {r.choice(REPORTING)}: "We {verb} the {noun} because the {noun2} '
        f'could not wait another {r.randint(2, 9)} years."',
        f"Critics argued that the {adj} {noun} ignored the needs of {things} in "
        f"{r.choice(REGIONS)}, and {org} agreed to {verb} it before {_date(ctx)}.",
        f"The agreement, signed in {city} on {_date(ctx)} by {name} and {_name(r)}, "
        f"covers {_amount(ctx)} over {r.randint(2, 12)} years.",
        f"Between {ctx.year - r.randint(3, 9)} and {ctx.year}, {org} {past} "
        f"{r.randint(3, 140)} projects related to the {noun}.",
        f"{r.choice(CONNECT)} the {noun2} in {city} remained {adj}, with {pct} of "
        f"{things} still waiting for the {noun}.",
        f"A spokesperson for {org} declined to comment on the {noun}, citing a "
        f"{r.choice(ADJ)} review due in {r.choice(MONTHS)}.",
        f"Residents of {city} were invited to a public meeting on {r.choice(WEEKDAYS)}, "
        f"{_date(ctx)}, to discuss the {noun} and its effect on {things}.",
        f"The {role} {name} was appointed in {ctx.year - r.randint(0, 6)} and has since "
        f"{past} the {adj} {noun2} programme.",
        f"In a letter dated {_date(ctx)}, {name} asked {org} to {verb} the {noun} and to "
        f"publish the figures for {things}.",
        f"Figures from {org} show that {_amount(ctx)} were recorded in {city}, compared "
        f"with {_amount(ctx)} a year earlier.",
        f"{r.choice(CONNECT)} {org} {r.choice(REPORTING)} that {pct} of the {noun2} budget "
        f"had been spent by the end of {r.choice(MONTHS)}.",
        f"The {noun} near {city} is expected to serve about {_amount(ctx)} once it is "
        f"{past}, officials said.",
    ]
    return r.choice(templates)


def _title(ctx: _Ctx) -> str:
    r = ctx.rng
    _, past = r.choice(VERBS_PAIRS)
    return (
        f"{ctx.city}: {r.choice(ctx.orgs).removeprefix('the ')} {past} "
        f"{r.choice(ADJ)} {ctx.w('nouns')} plan"
    )


def _new_ctx(seed: str, i: int) -> _Ctx:
    rng = random.Random(f"{seed}:{i}")
    topic = rng.choice(sorted(TOPICS))
    people = [(_name(rng), rng.choice(ROLES)) for _ in range(rng.randint(2, 5))]
    orgs = [_org(rng, topic) for _ in range(rng.randint(1, 3))]
    return _Ctx(rng, topic, people, orgs, _city(rng), rng.randint(2009, 2025))


def paragraph(ctx: _Ctx, sentences: int) -> str:
    return " ".join(_sentence(ctx) for _ in range(sentences))


def document(seed: str, i: int, target_chars: int) -> tuple[str, str]:
    """(extension, text) of document i: .md for about one in five, else .txt."""
    ctx = _new_ctx(seed, i)
    r = ctx.rng
    markdown = r.random() < 0.2
    title = _title(ctx)
    parts = [f"# {title}" if markdown else title]
    name, role = ctx.people[0]
    parts.append(
        f"{ctx.city.upper()}, {_date(ctx)} - {r.choice(ctx.orgs)[0].upper()}"
        f"{r.choice(ctx.orgs)[1:]} has {r.choice(VERBS_PAIRS)[1]} a {r.choice(ADJ)} "
        f"{ctx.w('nouns')}, {name}, {role}, {r.choice(REPORTING)}."
    )
    size = sum(len(p) for p in parts)
    section = 0
    while True:
        block = []
        if markdown and r.random() < 0.25:
            section += 1
            block.append(f"## {section}. {ctx.w('nouns').capitalize()} and {ctx.w('nouns')}")
        if r.random() < 0.08:
            things = TOPICS[ctx.topic]["things"]
            items = [f"- {r.choice(things).capitalize()}: {_amount(ctx)}" for _ in range(3)]
            block.append("\n".join(items))
        else:
            block.append(paragraph(ctx, r.randint(2, 7)))
        grown = sum(len(b) + 2 for b in block)
        if size + grown / 2 > target_chars and len(parts) > 2:
            break  # stopping here lands nearer the target than adding the block
        parts.extend(block)
        size += grown
    return (".md" if markdown else ".txt"), "\n\n".join(parts) + "\n"


def chunk_texts(n: int, seed: str = "chunks") -> Iterator[str]:
    """n chunk-sized passages (about 100-180 tokens each) for index-scale tests."""
    for i in range(n):
        ctx = _new_ctx(seed, i)
        yield paragraph(ctx, ctx.rng.randint(4, 7))


def questions(n: int, seed: str = "questions") -> list[str]:
    """n questions in the corpus' vocabulary (names, places, topic nouns)."""
    out = []
    for i in range(n):
        ctx = _new_ctx(seed, i)
        name, role = ctx.people[0]
        noun = ctx.w("nouns")
        forms = [
            f"When was the {noun} in {ctx.city} approved?",
            f"What did {name} say about the {noun}?",
            f"How much funding did {ctx.orgs[0]} provide for the {noun}?",
            f"Who signed the agreement in {ctx.city}?",
            f"How many {ctx.rng.choice(TOPICS[ctx.topic]['things'])} were recorded in "
            f"{ctx.city} in {ctx.year}?",
        ]
        out.append(ctx.rng.choice(forms))
    return out


@dataclass
class Corpus:
    """Where the files are and what they hold."""

    root: Path
    generated: list[Path]
    squad: list[Path]
    bytes: int

    @property
    def files(self) -> list[Path]:
        return sorted(self.generated + self.squad)

    def summary(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "generated_documents": len(self.generated),
            "squad_paragraphs": len(self.squad),
            "files": len(self.generated) + len(self.squad),
            "bytes": self.bytes,
            "megabytes": round(self.bytes / 1e6, 3),
        }


def write_generated(root: Path, docs: int, total_bytes: int, seed: str = "rag-bench") -> list[Path]:
    """`docs` documents averaging total_bytes/docs, lengths log-normally spread."""
    root.mkdir(parents=True, exist_ok=True)
    mean = total_bytes / max(docs, 1)
    sigma = 0.6
    paths = []
    for i in range(docs):
        rng = random.Random(f"{seed}:len:{i}")
        target = int(mean * rng.lognormvariate(0, sigma) / math.exp(sigma**2 / 2))
        ext, text = document(seed, i, max(300, min(target, 40 * int(mean))))
        path = root / f"doc-{i:05d}{ext}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_squad(root: Path, limit: int | None = None, data: Path = SQUAD_DIR) -> list[Path]:
    """One ctx-XXX.txt per SQuAD paragraph (the first `limit` if given)."""
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for ctx in read_jsonl(data / "contexts.jsonl")[:limit]:
        if not re.fullmatch(r"[\w.-]+", ctx["id"]):
            raise ValueError(f"unexpected context id {ctx['id']!r}")
        path = root / f"{ctx['id']}.txt"
        path.write_text(ctx["text"].strip() + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def squad_questions(
    context_ids: set[str], limit: int | None = None, data: Path = SQUAD_DIR
) -> list[dict[str, Any]]:
    """Answerable dev questions whose gold paragraph is in `context_ids`."""
    rows = [
        q
        for q in read_jsonl(data / "questions-dev.jsonl")
        if q.get("answerable", True) and q["context_id"] in context_ids
    ]
    return rows[:limit]


def build(
    root: Path, docs: int, total_bytes: int, squad_limit: int | None = None, seed: str = "rag-bench"
) -> Corpus:
    """Write the whole benchmark corpus under root/generated and root/squad."""
    generated = write_generated(root / "generated", docs, total_bytes, seed)
    squad = write_squad(root / "squad", squad_limit)
    size = sum(p.stat().st_size for p in generated + squad)
    return Corpus(root, generated, squad, size)

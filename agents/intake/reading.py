"""Read typed :class:`Requirements` from a request, quoting where each value came from.

The request is split into clauses (lines, sentences, semicolons, commas,
parentheses, dashes, "but"/"whereas"), and every numeric pattern is matched
inside one clause, so a number is only ever read together with the noun or unit
that describes it. Each number is taken by at most one field; digits no field
took are kept, quoted, in ``other_figures``. Only stated facts are produced
here: nothing is assumed.

The public entry points live in :mod:`mlarchitect.agents.intake.extract`;
this module holds the clause splitting and the patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from mlarchitect.lazy_re import lazy_compile
from mlarchitect.money import USD_PER, currency_of
from mlarchitect.requirements import AUDIO_HOURS, Fact, Hardware, Latency, Quantity, Requirements

# --------------------------------------------------------------------------- numbers

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12,
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6,
                "b": 1e9, "bn": 1e9, "billion": 1e9}
# Digits not glued to a word, version or code ("GPT-4", "p95", "A100", "3.11" in "v3.11").
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?![\d,]*\d)|\d+(?:\.\d+)?)"
# A range ("10-20k", "2–3") reads as its upper bound.
_NUM = (
    r"(?:(?<=sub-)|(?<![\w.\-/@]))"
    rf"{_DIGITS}(?:[-–]{_DIGITS}(?![-–]))?"
    r"(?:\s?(?:k|mm|m|bn|b|thousand|million|billion)(?![a-z0-9]))?"
)
_WNUM = r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a dozen)\b"
_ANY = rf"(?:{_NUM}|{_WNUM})"
_APPROX = r"(?:(?:~|about|around|roughly|approximately|approx\.?|some|nearly|almost|over|more than|up to|maybe|at least)\s*)?"
_NUMBER_PARTS = lazy_compile(r"([\d,]*\.?\d+)\s?([a-z]*)", re.I)

_SECONDS_PER = {
    "second": 1.0, "sec": 1.0, "s": 1.0, "minute": 60.0, "min": 60.0, "hour": 3600.0,
    "hr": 3600.0, "h": 3600.0, "day": 86400.0, "d": 86400.0, "week": 604800.0,
    "wk": 604800.0, "month": 2_592_000.0, "mo": 2_592_000.0,
}
_PERIOD_ADJECTIVE = {"hourly": "hour", "daily": "day", "nightly": "day", "weekly": "week", "monthly": "month"}
_PERIOD = (
    r"(?:(?:\s*/\s*|\s+(?:per|a|an|each|every)\s+)(?P<per>second|sec|s|minute|min|hour|hr|h|day|d|week|wk|month|mo)\b"
    r"|\s+(?P<per_adj>hourly|daily|nightly|weekly|monthly)\b)"
)


def parse_number(raw: str) -> float:
    """``"30,000"`` -> 30000, ``"1.5k"`` -> 1500, ``"2 million"`` -> 2e6, ``"two"`` -> 2."""
    text = " ".join(raw.lower().split())
    text = re.split(r"(?<=\d)[-–](?=\d)", text)[-1]
    if text in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[text])
    match = _NUMBER_PARTS.fullmatch(text)
    if match is None:
        raise ValueError(f"not a number: {raw!r}")
    return float(match.group(1).replace(",", "")) * _MULTIPLIERS.get(match.group(2), 1.0)


def _period_seconds(match: re.Match[str]) -> float | None:
    word = match.groupdict().get("per")
    if word is None and match.groupdict().get("per_adj"):
        word = _PERIOD_ADJECTIVE[match.group("per_adj").lower()]
    if word is None:
        return None
    return _SECONDS_PER[word.lower()]


# --------------------------------------------------------------------------- clauses

_SPLIT = lazy_compile(
    r"\n+|(?<=[.!?])(?<!\bca\.)(?<!\bapprox\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bz\.b\.)\s+|\s*[;()\[\]]\s*|,\s+|\s+[—–-]{1,2}\s+|\s+(?:but|whereas|while|although|though)\s+",
    re.I,
)


@dataclass(frozen=True)
class _Clause:
    """A clause of the lowercase text; ``start`` is its offset in the whole text."""

    start: int
    text: str

    def span(self, match: re.Match[str], group: int | str = 0) -> tuple[int, int]:
        return self.start + match.start(group), self.start + match.end(group)


def _normalise(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _lower(text: str) -> str:
    """Lowercase with every character kept in place, so spans index both copies."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# A request written in German, French, Spanish, Italian or Portuguese: its figures ("2.000 Dokumente",
# "1,5 Mio. Zeilen", "30 mil pólizas", "500 Anfragen pro Tag") are read as the English ones. Each
# word is replaced in the lowercase copy by an English word of at most its length, padded, so spans
# still index the request as written (quotes keep the user's words).
_LANGUAGE_MARKERS = {
    "german": lazy_compile(r"\b(?:und|oder|wir|für|über|mit|nicht|ist|sind|unsere?[nmrs]?|bitte|brauchen|ca|einen?|der|das|"
                           r"auf|zu|von|werden|haben|soll|muss|können|könnt)\b"),
    "french": lazy_compile(r"\b(?:les|des|pour|avec|nous|sur|une|sont|environ|est|dans|et|du|aux|notre|nos|avons|devons|tout|doit|"
                           r"être|très|mais|sommes|voulons)\b"),
    "spanish": lazy_compile(r"\b(?:los|las|necesitamos|nuestros?|nuestras?|unos|unas|sobre|por|del|el|y|tenemos|queremos|"
                            r"pueden|también)\b"),
    "italian": lazy_compile(r"\b(?:che|sono|abbiamo|della|nostri|nostro|gli|il|di|vogliamo|anche|circa|non|dallo|dalla|dei|"
                            r"delle|niente|possono|nel|nella|sul|uno|tra|degli|alle|alla|ogni|vorremmo|nostra|nostre|questo|questa|siamo)\b"),
    "portuguese": lazy_compile(r"\b(?:não|com|nossos?|nossas?|cerca|os|do|da|em|temos|queremos|precisamos|também)\b"),
    "dutch": lazy_compile(r"\b(?:wij|zijn|een|het|onze|ons|niet|voor|ongeveer|hebben|willen|moeten|binnen|ook|graag|"
                          r"geen|worden|kunnen|wordt|zoals|alleen|daarna|moet)\b"),
}
_ENGLISH_MARKERS = lazy_compile(r"\b(?:the|and|with|for|we|is|are|our|of|to|per|about|need|have)\b")
_FOREIGN_TERMS = {
    # periods
    "pro tag": "per day", "am tag": "a day", "täglich": "daily", "par jour": "per day", "por día": "per day",
    "al día": "a day", "por dia": "per day", "al giorno": "per day", "pro monat": "per month", "par mois": "per mo",
    "al mes": "per mo", "por mes": "per mo", "al mese": "per mo", "pro sekunde": "per second", "par seconde": "per second",
    "por segundo": "per second", "al secondo": "per second", "pro stunde": "per hour", "par heure": "per hour",
    "por hora": "per hour", "all'ora": "per hr", "pro woche": "per week", "par semaine": "per week",
    "por semana": "per week", "por mês": "per mo", "ao mês": "per mo", "por ano": "per yr", "pro jahr": "per yr",
    "par an": "per yr", "al año": "per yr", "all'anno": "per yr", "orçamento": "budget", "presupuesto": "budget",
    "budget massimo": "budget max", "höchstens": "at most", "maximal": "at most",
    # a bill, not a budget: "die Rechnung liegt aktuell bei 7.000 € im Monat", "actualmente pagamos ..."
    "rechnung": "bill", "rechnungen": "bills", "aktuell": "today", "derzeit": "today", "zahlen wir": "we pay",
    "wir zahlen": "we pay", "bezahlen": "pay", "facture": "bill", "factures": "bills", "actuellement": "currently",
    "payons": "pay", "factura": "bill", "facturas": "bills", "actualmente": "currently", "pagamos": "pay",
    "gastamos": "spend", "fattura": "bill", "fatture": "bills", "attualmente": "currently", "paghiamo": "pay",
    "spendiamo": "spend", "fatura": "bill", "faturas": "bills", "atualmente": "currently", "factuur": "bill",
    "rekening": "bill", "momenteel": "currently", "betalen": "pay",
    # multipliers
    "mio.": "m", "mio": "m", "millionen": "m", "millones": "m", "milioni": "m", "milhões": "m", "mrd.": "bn",
    "mrd": "bn", "milliarden": "bn", "tausend": "k", "mil": "k",
    # what is counted
    "dokumente": "documents", "dokumenten": "documents", "documentos": "documents", "documenti": "documents",
    "handbücher": "manuals", "handbüchern": "manuals", "manuales": "manuals", "manuels": "manuals",
    "manuali": "manuals", "manuais": "manuals", "seiten": "pages", "páginas": "pages", "pagine": "pages",
    "contratos": "contracts", "contratti": "contracts", "verträge": "docs", "verträgen": "docs", "contrats": "docs",
    "pólizas": "docs", "richtlinien": "policies", "berichte": "reports", "informes": "reports", "rapports": "reports",
    # where a rate is stated per site, each: "14 Filialen, jede bearbeitet etwa 600 Schadensmeldungen pro Tag"
    "jede": "each", "jeder": "each", "jedes": "each", "chaque": "each", "cada": "each", "ogni": "each", "elke": "each",
    "filialen": "branches", "sucursales": "branches", "succursales": "branches", "vestigingen": "branches",
    "filiali": "shops", "filiais": "shops", "tiendas": "stores", "negozi": "shops", "magasins": "stores",
    "standorte": "sites", "usines": "plants", "fábricas": "plants", "fabbriche": "plants", "fabrieken": "plants",
    "schadensmeldungen": "claims", "schadenmeldungen": "claims", "siniestros": "claims", "sinistres": "claims",
    "sinistri": "claims", "sinistros": "claims", "reclamaciones": "claims", "anträge": "forms", "anträgen": "forms",
    "delibere": "docs", "deliberazioni": "docs", "règlements": "docs", "reglamentos": "docs", "regolamenti": "docs",
    "verordeningen": "docs", "vorschriften": "docs", "sentenze": "docs", "sentencias": "docs", "urteile": "docs",
    "actas": "docs", "verbali": "docs", "besluiten": "docs", "dateien": "files", "fichiers": "files", "fiches": "docs",
    "fichas": "docs", "schede": "docs", "archivos": "files", "zeilen": "rows", "filas": "rows", "lignes": "rows",
    "righe": "rows", "linhas": "rows", "anfragen": "requests", "requêtes": "requests", "demandes": "requests",
    "consultas": "queries", "solicitudes": "requests", "richieste": "requests", "preguntas": "questions",
    "nutzer": "users", "benutzer": "users", "nutzern": "users", "benutzern": "users", "utilisateurs": "users",
    "usuarios": "users", "utenti": "users", "usuários": "users", "mitarbeiter": "employees",
    "mitarbeitern": "employees", "empleados": "employees", "employés": "staff", "dipendenti": "employees",
    "transaktionen": "transactions", "transacciones": "transactions",
    "immagini": "images", "imágenes": "images", "imagens": "images", "bilder": "images", "bildern": "images",
    "afbeeldingen": "images", "kameras": "cameras", "cámaras": "cameras", "caméras": "cameras",
    "mit je": "each",  # "12 Kameras mit je 30 Bildern pro Sekunde"
    "leute": "staff", "personnes": "people", "personas": "people", "persone": "people", "pessoas": "people",
    "mensen": "people", "titres": "books", "títulos": "books", "titoli": "books", "guías": "docs", "guias": "docs",
    "ereignisse": "events", "eventos": "events", "événements": "events", "eventi": "events",
    "peticiones": "requests", "clasifica": "classify", "classifica": "classify",
    "clasificar": "classify", "klassifiziert": "classifies", "klassifizieren": "classify", "previsión": "forecast",
    "previsione": "forecast", "previsão": "forecast", "vorhersage": "forecast", "prognose": "forecast",
    "prédiction": "prediction", "latencia": "latency", "latenza": "latency", "latência": "latency",
    "sekunden": "seconds", "segundos": "seconds", "secondes": "seconds", "secondi": "seconds", "unter": "under",
    "millisekunden": "milliseconds",
    # Dutch
    "per dag": "per day", "per maand": "per mo", "per seconde": "per second", "per uur": "per hr", "per week": "per week",
    "documenten": "documents", "pagina's": "pages", "paginas": "pages", "handleidingen": "manuals", "contracten": "contracts",
    "bestanden": "files", "rijen": "rows", "verzoeken": "requests", "aanvragen": "requests", "gebruikers": "users",
    "medewerkers": "employees", "ontwikkelaars": "developers", "team van": "team of", "miljoen": "m", "duizend": "k",
    "binnen de eu blijven": "stay in the eu", "in de eu blijven": "stay in the eu", "binnen de eu": "in the eu",
    "seconden": "seconds", "onder": "under", "transacties": "events", "latentie": "latency",
    "eigen servers": "own servers", "in ons eigen datacenter": "in our own datacenter", "in ons datacenter": "in our datacenter",
    "geen amerikaanse cloud": "no us cloud", "geen amerikaanse": "no us", "geen externe api's": "no external apis",
    "geen cloud": "no saas",
    # where data is hosted ("hébergé en France", "alojado en España", "gehostet in Deutschland")
    "être hébergé en": "be hosted in", "hébergé en": "hosted in", "hébergées en": "hosted in", "hébergés en": "hosted in",
    "hébergée en": "hosted in", "alojado en": "hosted in", "alojados en": "hosted in", "gehostet in": "hosted in",
    "ospitato in": "hosted in", "ospitati in": "hosted in", "hospedado no": "hosted in", "hospedados no": "hosted in",
    # limits ("keine Cloud-APIs", "niente API esterne", "solo open source")
    "keine cloud-apis": "no cloud apis", "keine cloud apis": "no cloud apis", "keine externen apis": "no external apis",
    "niente api esterne": "no external apis", "nessuna api esterna": "no external api", "sin apis externas": "no external apis",
    "sin api externas": "no external apis", "pas d'api externe": "no external api", "aucune api externe": "no external api",
    "sem apis externas": "no external apis", "niente cloud": "no saas", "keine cloud": "no saas", "pas de cloud": "no saas",
    "sin nube": "no saas", "sem nuvem": "no saas", "solo open source": "only open source", "nur open source": "oss only",
    "uniquement open source": "only open source",
    # no LLM, free: "nessun LLM", "kein LLM", "kostenlos", "gratuito"
    "nessun": "no", "nessuna": "no", "kein": "no", "keine": "no", "ningún": "no", "aucun": "no", "aucune": "no",
    "todo nuestro": "our whole", "está en": "is in", "esta en": "is in",  # "todo nuestro stack está en Google Cloud"
    "geen": "no", "keinen": "no", "keiner": "no", "nada de": "no", "nenhum": "no", "nenhuma": "no",
    "zugang": "access", "acceso": "access", "accesso": "access", "acesso": "access", "toegang": "access",
    "como juez": "as judge", "come giudice": "as judge", "comme juge": "as judge", "como juiz": "as judge",
    "kostenlos": "free", "kostenlose": "free", "gratuit": "free", "gratuite": "free",
    "gratuito": "free", "gratuita": "free", "kosteloos": "free",
    # own data centre ("in unserem Rechenzentrum", "en nuestro centro de datos") and no US providers
    "in unserem rechenzentrum": "in our own data centre", "im eigenen rechenzentrum": "in our own data centre",
    "eigenes rechenzentrum": "own data centre", "eigenen rechenzentrum": "own data centre", "rechenzentrum": "data centre",
    "en nuestro centro de datos": "in our own data centre", "en nuestros servidores": "on our own servers",
    "dans notre datacenter": "in our own datacenter", "dans notre centre de données": "in our own data centre",
    "nel nostro data center": "in our own data center", "no nosso data center": "in our data center",
    "ausschließlich": "exclusively", "keine us-clouddienste": "no us cloud services", "keine us-cloud": "no us cloud",
    "keine us-anbieter": "no us providers", "pas de cloud américain": "no us cloud", "sin nube estadounidense": "no us cloud",
}
_FOREIGN_TERM = lazy_compile(r"(?<![\w])(?:" + "|".join(re.escape(t) for t in sorted(_FOREIGN_TERMS, key=len, reverse=True))
                             + r")(?![\w])")
_THOUSANDS_DOT = lazy_compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+(?!\d|[.,]\d)")
_DECIMAL_COMMA = lazy_compile(r"(?<![\d.,])\d+,\d{1,2}(?!\d)")


def request_language(low: str) -> str | None:
    """The language a (lowercase) request is written in when it is not English, else None."""
    counts = {lang: len(marker.findall(low)) for lang, marker in _LANGUAGE_MARKERS.items()}
    lang = max(counts, key=lambda k: counts[k])
    return lang if counts[lang] > len(_ENGLISH_MARKERS.findall(low)) else None


def _as_english(low: str, language: str | None) -> str:
    """``low``, written in ``language``, with its number formats and counted words read as English,
    length kept; English text (``language`` None) is returned as it is."""
    if language is None:
        return low
    low = _DECIMAL_COMMA.sub(lambda m: m.group(0).replace(",", "."), low)
    low = _THOUSANDS_DOT.sub(lambda m: m.group(0).replace(".", ","), low)
    return _FOREIGN_TERM.sub(lambda m: _FOREIGN_TERMS[m.group(0)].ljust(len(m.group(0))), low)


def _clauses(low: str) -> list[_Clause]:
    """Clauses of the lowercase text (spans are the same in the original)."""
    out: list[_Clause] = []
    position = 0
    for sep in _SPLIT.finditer(low):
        if sep.start() > position:
            out.append(_Clause(position, low[position : sep.start()]))
        position = sep.end()
    if position < len(low):
        out.append(_Clause(position, low[position:]))
    return out


# --------------------------------------------------------------------------- accumulator


@dataclass
class Reading:
    """What has been read so far, and which number spans are taken (offsets into ``text``)."""

    text: str
    low: str
    clauses: list[_Clause]
    used: list[tuple[int, int]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[Any]] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    hardware_quotes: list[str] = field(default_factory=list)
    # notes between steps: "peak" (peak_rps was said to be a peak), "points" (the effect is in
    # percentage points), "streaming" (quote of a per-second event rate)
    notes: dict[str, str] = field(default_factory=dict)

    def free(self, span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in self.used)

    def use(self, span: tuple[int, int]) -> None:
        self.used.append(span)

    def original(self, clause: _Clause) -> str:
        """The clause as written (clauses hold the lowercase text)."""
        return self.text[clause.start : clause.start + len(clause.text)]

    def quote(self, start: int, end: int) -> str:
        while 0 < end < len(self.text) and self.text[end - 1].isalnum() and self.text[end].isalnum():
            end += 1  # a word read as a shorter English one ("Handbücher" as "manuals") is quoted whole
        return self.text[start:end].strip(" ,.;:-\n")

    def put(self, name: str, value: Any, quote: str, *, replace: bool = False) -> bool:
        if name in self.facts and not replace:
            return False
        self.facts[name] = Fact.said(value, quote)
        return True

    def add(self, name: str, value: Any, quote: str) -> None:
        items = self.lists.setdefault(name, [])
        if all(f.value != value for f in items):
            items.append(Fact.said(value, quote))

    def set_hardware(self, key: str, value: Any, quote: str) -> None:
        if key in self.hardware:
            return
        self.hardware[key] = value
        if quote not in self.hardware_quotes:
            self.hardware_quotes.append(quote)


def _rx(pattern: str) -> re.Pattern[str]:
    """Patterns are lowercase and run on the lowercase copy of the text (faster than re.I);
    each is compiled the first time a clause needs it."""
    return lazy_compile(pattern)


def _free_matches(acc: Reading, clause: _Clause, pattern: re.Pattern[str], group: str = "n") -> Iterator[re.Match[str]]:
    for match in pattern.finditer(clause.text):
        if match.group(group) is not None and acc.free(clause.span(match, group)):
            yield match


_NEGATION = _rx(
    r"(?:\b(?:no|not|nobody|no one|nothing|cannot|without|never|avoid|no longer|instead of|rather than|replace|replacing|drop|remove|"
    r"away from|free of|pas de|pas d'|sans|kein|keine|keinen|ohne|sin|nessun|nessuna|senza|sem|geen|zonder)|n't)\b"
    r"(?:(?!\b(?:with|by|for|but)\b|\b(?:and|then)\s+(?:add|use|keep|include)\b)[^,;.:]){0,20}$"
)


def _negated(clause: _Clause, match: re.Match[str]) -> bool:
    return bool(_NEGATION.search(clause.text[max(0, match.start() - 30) : match.start()]))


# --------------------------------------------------------------------------- labelled examples

_LABELLED = [
    _rx(rf"\b(?:golden|gold|labell?ed|annotated|eval(?:uation)?|test|ground[- ]truth)\s+(?:data\s?)?(?:set|dataset)\s+of\s+{_APPROX}(?P<n>{_ANY})(?:\s+[a-z][\w-]*)?"),
    _rx(rf"(?P<n>{_ANY})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?:hand-|human-|manually\s+)?(?:labell?ed|annotated|graded|rated|gold(?:en)?|ground[- ]truth)\b(?:\s+(?!for\b|and\b|to\b|in\b|of\b|from\b|with\b)[a-z][\w-]*)?"),
    _rx(rf"(?P<n>{_ANY})\s+(?:[a-z][\w-]*\s+)?(?:examples|samples|questions|pairs|conversations)\s+with\s+(?:human\s+)?(?:labels|answers|ground truth)"),
    # "400 lawyer-written Q&A pairs", "250 expert-reviewed answers": references people wrote to judge against
    _rx(rf"(?P<n>{_ANY})\s+(?:[a-z][\w-]*\s+)?(?:[a-z]+-)?(?:written|curated|reviewed|verified|checked)\s+(?:[a-z][\w-]*\s+)?"
        r"(?:q\s?&\s?a|qa|question[- ](?:and[- ])?answer)?\s*(?:pairs|questions|answers|examples|cases|references|transcripts)\b"),
    # "~150 example transcripts", "300 test prompts": a set to judge on, not a corpus to search
    _rx(rf"(?P<n>{_ANY})\s+(?:[a-z][\w-]*\s+)?(?:example|test|reference|held-?out|holdout|eval(?:uation)?)\s+(?:[a-z][\w-]*\s+)?"
        r"(?:transcripts|documents|docs|conversations|prompts|questions|queries|cases|inputs|outputs|summaries|emails|tickets|"
        r"calls|chats|pairs|items|images|texts|dialogues|contracts|pdfs)\b"),
]


def _labelled(acc: Reading, clause: _Clause) -> None:
    for pattern in _LABELLED:
        for match in _free_matches(acc, clause, pattern):
            if acc.put("labelled_examples", int(parse_number(match.group("n"))), acc.quote(*clause.span(match))):
                acc.use(clause.span(match, "n"))
            return


_RUNS = [
    _rx(rf"(?P<n>{_ANY})\s+(?:(?:gpu|training|fine-?tuning|experiment|tracked|sweep|hpo|tuning)\s+){{0,2}}"
        rf"(?:runs|jobs|trials|experiments)\s+(?:a|per|each|every)\s+(?P<p>day|week|month|year)\b"),
    # "we retrain ~3,000 small forecasting models every week": one run per model
    _rx(rf"\b(?:re-?)?(?:train|fit|fine-?tune)(?:s|ing)?\s+(?:~\s*|about\s+|around\s+|roughly\s+|some\s+)?(?P<n>{_ANY})"
        rf"\s+(?:[\w-]+\s+){{0,3}}?(?:models|variants)\s+(?:\([^)]*\)\s+)?(?:a|per|each|every)\s+(?P<p>day|week|month|year)\b"),
]
# "we launch thousands of short runs (5-20 min) a day": the least the word can mean, read over the
# whole text (an aside in brackets splits the clause)
_VAGUE_RUNS = _rx(r"\b(?P<n>thousands|hundreds|dozens)\s+of\s+(?:[\w-]+\s+){0,2}?(?:runs|jobs|trials|experiments)\b"
                  r"(?:\s*\([^)]*\))?\s+(?:a|per|each|every)\s+(?P<p>day|week|month|year)\b")
_AT_LEAST = {"thousands": 2_000.0, "hundreds": 200.0, "dozens": 24.0}


def _vague_runs(acc: Reading) -> None:
    match = _VAGUE_RUNS.search(acc.low)
    if match and "training_runs_per_month" not in acc.facts:
        acc.put("training_runs_per_month", _AT_LEAST[match.group("n")] * _MONTHS[match.group("p")],
                acc.quote(*match.span()))


def _runs(acc: Reading, clause: _Clause) -> None:
    """Training runs (or trials) a period: how fast run records and checkpoints pile up."""
    for pattern in _RUNS:
        for match in _free_matches(acc, clause, pattern):
            per_month = parse_number(match.group("n")) * _MONTHS[match.group("p")]  # the money rates' table
            if acc.put("training_runs_per_month", round(per_month, 1), acc.quote(*clause.span(match))):
                acc.use(clause.span(match, "n"))
            return


# --------------------------------------------------------------------------- quality targets

_AT_K = r"(?:recall|precision|ndcg|hit(?:\s?rate)?|mrr|map)\s?@\s?\d+(?!\d)"  # "nDCG@10", never "ndcg@1" and a 0
# metrics no everyday word shares a name with
_METRIC_ACRONYM = r"roc[- ]auc|pr[- ]auc|auc|bleu|rouge(?:-l|-\d)?|chrf\+*|bertscore|mape|rmse|mae|wer|cer"
_METRIC = (
    rf"(?P<m>faithfulness|groundedness|answer relevan(?:ce|cy)|context (?:precision|recall)|relevance|{_AT_K}|mrr|"
    rf"top-?\d+ accuracy|accuracy|f1(?:[- ]score)?|auc-roc|{_METRIC_ACRONYM}|comet|exact match|win rate|"
    r"precision|recall|hallucination rate|error rate)"
)
_LOWER_IS_BETTER = frozenset({"mape", "rmse", "mae", "wer", "cer", "hallucination rate", "error rate"})
_TARGET = _rx(
    rf"\b{_METRIC}(?:\s+(?:of|at|above|over|below|under|no less than|no more than|at least|at most|must be|should be|"
    r"must stay|stays?|to|is|reaching|around|>=|<=))*\s*(?P<op>>=|≥|<=|≤|>|<|=)?\s*(?P<v>\d+(?:\.\d+)?\s?%?)"
    r"(?!\s?(?:ms|s\b|sec|seconds|minutes|examples|questions|rows|docs|documents|users|requests|k\b|m\b))"
)
_BELOW_WORDS = _rx(r"\b(?:below|under|no more than|at most)\s*$")
_CURRENT_LEVEL = _rx(r"^\W{0,3}(?:\w+\s+){0,2}?(?:today|currently|right now|at the moment|now|at present)\b|\b(?:currently|today)\b")


def _metric_targets(acc: Reading, clause: _Clause) -> None:
    for match in _TARGET.finditer(clause.text):
        if not acc.free(clause.span(match, "v")):
            continue
        around = clause.text[match.end():match.end() + 20] + " " + clause.text[max(0, match.start() - 15):match.start()]
        if _CURRENT_LEVEL.search(around):
            continue  # "AUC of 0.82 today": where it is, not a target
        name = " ".join(match.group("m").split())
        value = match.group("v").replace(" ", "")
        head = clause.text[match.end("m"):match.start("v")]
        below = (match.group("op") in ("<=", "≤", "<") or _BELOW_WORDS.search(head)
                 or (name in _LOWER_IS_BETTER and not re.search(r"above|over|at least|>", head)))
        acc.add("metric_targets", f"{name} {'≤' if below else '≥'} {value}", acc.quote(*clause.span(match)))
        acc.use(clause.span(match, "v"))


# what the request wants judged: "evaluate lore consistency, character voice and toxicity"
_CRITERIA_LEAD = _rx(
    # "score every reply for politeness", "judge the answers on accuracy" (tried first), "evaluate toxicity"
    r"\b(?:(?:scor|judg|rat|grad|evaluat|assess)\w*\s+(?:[\w']+\s+){1,4}?(?:for|on)|"
    r"evaluat(?:e|ing)|measur(?:e|ing)|scor(?:e|ing)|scores? for|judg(?:e|ing)|assess(?:ing)?|grad(?:e|ing)|rat(?:e|ing)|"
    r"(?:check|test)(?:ing)? (?:for|on)|metrics? (?:for|like|such as)|criteria(?: like| such as)?)\s*:?\s+"
    r"(?P<list>[^.;:!?\n]{3,160})")
_CRITERION_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or|plus|as well as)\s+", re.I)
_NOT_A_CRITERION = re.compile(
    r"^(?:our|the|a|an|it|its|them|this|that|these|those|each|every|all|how|whether|if|new|which|what|when|with|"
    # who or what a model scores, not a quality: "score everyone once a night", "score every customer"
    r"everyone|everybody|everything|customers?|users?|subscribers?|accounts?|members?|patients?|claims?|leads?|"
    r"correlat\w*|compar\w*|see|get|make|know|run|use|keep|add|build|track|alert|send|show|flag|catch|detect|"
    r"automatically|nightly|daily|weekly|before|after|against|per|on|in|for|by|from|to|we|i|you|they|"
    r"models?|versions?|outputs?|answers?|responses?|replies|results?|prompts?|systems?|quality|performance|"
    r"changes?|releases?|candidates?|runs?|data|datasets?|it's|there|then|"
    # what does the scoring, not what is scored: "design the scoring job", "the scoring service"
    r"jobs?|pipelines?|services?|endpoints?|apis?|engines?|layers?|functions?|logic|batch\w*|workers?|scripts?)\b", re.I)


_CRITERION_END = frozenset("before after on in for per by from to with against across every each when so using "
                           "between of at nightly daily weekly".split())


# what the output must do, said as a check on it: "check the dialogue stays in character and never spoils quests"
_BEHAVIOUR_VERB = r"(?:stays?|remains?|never|always|avoids?|keeps?|doesn't|does not|don't|do not)"
_BEHAVIOUR_LEAD = _rx(
    r"\b(?:check|ensure|make sure|verify|test|know)(?:s|ing)?\s+(?:that\s+|whether\s+|if\s+)?(?:the|our|its|their|every|each)\s+"
    rf"[\w-]+(?:\s+[\w-]+)?\s+(?P<list>{_BEHAVIOUR_VERB}\b[^.;:!?\n]{{3,120}})")
_BEHAVIOUR = re.compile(rf"{_BEHAVIOUR_VERB}\s+[a-z][a-z' -]*", re.I)


# a metric the request names without a target: "every run with its WER on 3 held-out sets", "compare by nDCG@10"
_NAMED_METRIC = _rx(rf"\b(?:{_METRIC_ACRONYM}|{_AT_K}|ndcg|mrr)(?![\w@-])")


def _named_metrics(acc: Reading) -> None:
    targeted = " ".join(str(fact.value) for fact in acc.lists.get("metric_targets", []))
    for match in _NAMED_METRIC.finditer(acc.low):
        if re.sub(r"\s", "", match.group(0)) not in targeted.replace(" ", ""):
            quote = acc.quote(*match.span())
            acc.add("quality_criteria", quote, quote)  # as written: "WER", "nDCG@10"


def _quality_criteria(acc: Reading) -> None:
    _named_metrics(acc)
    text = re.sub(r"\([^)]*\)", lambda m: " " * len(m.group(0)), acc.low)  # asides blanked, offsets kept
    for lead in _BEHAVIOUR_LEAD.finditer(text):
        start = lead.start("list")
        for item in _CRITERION_SPLIT.split(lead.group("list")):
            phrase = " ".join(item.split()[:5])
            if not _BEHAVIOUR.fullmatch(phrase):
                break  # the list ends where something else begins
            at = text.find(phrase, start)
            acc.add("quality_criteria", phrase, acc.quote(at, at + len(phrase)) if at >= 0 else phrase)
    for lead in _CRITERIA_LEAD.finditer(text):
        start = lead.start("list")
        for item in _CRITERION_SPLIT.split(lead.group("list")):
            words = item.strip(" -").split()
            cut = next((i for i, w in enumerate(words) if i and w in _CRITERION_END), len(words))
            words = words[:cut]  # "pii leaks before release" -> "pii leaks"
            if not 1 <= len(words) <= 4 or _NOT_A_CRITERION.match(item.strip()) or not all(re.fullmatch(r"[a-z][a-z-]*", w, re.I) for w in words):
                break  # the list ends where something else begins
            phrase = " ".join(words)
            at = text.find(phrase, start)
            acc.add("quality_criteria", phrase.lower(), acc.quote(at, at + len(phrase)) if at >= 0 else phrase)


# --------------------------------------------------------------------------- money

_CURRENCY = r"(?:r\$|ca\$|c\$|a\$|chf\s?|[$€£]|usd\s?|eur\s?|gbp\s?|brl\s?|cad\s?|aud\s?)"
_MONEY = _rx(
    rf"(?:{_CURRENCY}\s?(?P<n>{_NUM})(?:\s?(?:usd|dollars|eur|euros?|gbp|pounds|chf|francs|brl|reais|cad|aud))?"
    # "500 €", "500 $ CA", "500 CAD": the currency after the amount (French and Canadian style)
    rf"|(?P<n2>{_NUM})\s?(?:(?:usd|dollars|eur|euros?|gbp|pounds|chf|francs|brl|reais|cad|aud)\b|[€£]|\$(?:\s?ca\b|\s?can\b)?))"
    rf"(?:(?:\s*/\s*|\s+(?:per|a|an|each|every|pro|par|al|por|im)\s+)(?P<per>month|mo|monat|mois|mes|maand|mese|year|yr|annum|jahr|week|wk|day|run|query|request|user|seat|call|hour|hr|token|1k tokens|document|page)\b"
    rf"|\s+(?P<per_adj>monthly|annually|yearly|weekly|daily))?"
)
_CLAUSE_PERIOD = _rx(r"\b(?P<p>monthly|per month|a month|/month|/mo|annual|annually|yearly|per year|a year|per annum|/year|/yr|weekly|per week|a week)\b")
_BUDGET_CUE = _rx(
    r"\b(?:budget\w*|cap|capped|limit|afford|at most|max(?:imum)?|no more than|under|below|less than|within|"
    r"up to|target|keep (?:it|costs?|spend)|stay (?:below|under|within)|can spend|willing to spend|allowed|spend cap)\b|<"
)
_SPEND_CUE = _rx(
    r"\b(?:spend|spending|spent|bill|bills|billing|invoice\w*|pay|paying|paid|costs? us|costing|currently|today|"
    r"right now|at the moment|burn\w*|went|grew|increased|jumped|rose|climbed|ballooned|costs|doubled|tripled|quadrupled)\b"
)
_GROWTH = _rx(rf"\bfrom\s+{_CURRENCY}\s?(?P<a>{_NUM})\s+to\s+{_CURRENCY}\s?(?P<b>{_NUM})")
_REFERS_BACK = _rx(r"\b(?:that|it|this|those costs|the bill|the spend)\b")
_REDUCE = _rx(r"\b(?:reduce|cut|lower|bring|get|drop|shrink|halve|decrease)\b")
_MONTHS = {"month": 1.0, "mo": 1.0, "year": 1 / 12, "yr": 1 / 12, "annum": 1 / 12, "week": 52 / 12, "wk": 52 / 12, "day": 30.0,
           # "400 € pro Monat", "300 € al mes", "500 € par mois"
           "monat": 1.0, "mois": 1.0, "mes": 1.0, "maand": 1.0, "mese": 1.0, "jahr": 1 / 12}


def _monthly_factor(match: re.Match[str], clause: _Clause) -> float | None:
    word = (match.group("per") or match.group("per_adj") or "").lower()
    word = {"monthly": "month", "annually": "year", "yearly": "year", "weekly": "week", "daily": "day"}.get(word, word)
    if not word:
        around = _CLAUSE_PERIOD.search(clause.text)
        if around is None:
            return None
        p = around.group("p").lower()
        word = "month" if "mo" in p else "week" if "week" in p else "year"
    return _MONTHS.get(word)


def _nearest_cue(text: str, position: int, end: int) -> str | None:
    before = [(m.end(), "budget") for m in _BUDGET_CUE.finditer(text[:position])]
    before += [(m.end(), "spend") for m in _SPEND_CUE.finditer(text[:position])]
    if before:
        return max(before)[1]
    after = [(m.start(), "budget") for m in _BUDGET_CUE.finditer(text, end)]
    after += [(m.start(), "spend") for m in _SPEND_CUE.finditer(text, end)]
    return min(after)[1] if after else None


def _usd_rate(acc: Reading, span: str) -> float:
    """US dollars per unit of the currency ``span`` is written in; the request's currency is the
    first one its money is stated in."""
    currency = currency_of(span)
    acc.notes.setdefault("currency", currency)
    return USD_PER[currency]


def _money(acc: Reading, clause: _Clause) -> None:
    growth = _GROWTH.search(clause.text)
    if growth and acc.free(clause.span(growth, "a")):
        reducing = _REDUCE.search(clause.text[: growth.start()])
        first, last = parse_number(growth.group("a")), parse_number(growth.group("b"))
        cue = list(_SPEND_CUE.finditer(clause.text[: growth.start()]))
        start = clause.start + (cue[0].start() if cue else growth.start())
        quote = acc.quote(start, clause.span(growth)[1])
        rate = _usd_rate(acc, growth.group(0))
        if reducing:
            acc.put("current_monthly_spend_usd", round(first * rate, 2), quote)
            acc.put("monthly_budget_usd", round(last * rate, 2), quote)
        else:
            acc.put("current_monthly_spend_usd", round(last * rate, 2), quote)
        acc.use(clause.span(growth))
    for match in _MONEY.finditer(clause.text):
        group = "n" if match.group("n") else "n2"
        if not acc.free(clause.span(match, group)):
            continue
        _one_money(acc, clause, match, group)


_UNIT_PRICE = _rx(r"\s*(?:per|/|each|an?)\s*(?!(?:month|mo|year|yr|annum|week|wk|day)\b)[a-z]")


def _one_money(acc: Reading, clause: _Clause, match: re.Match[str], group: str) -> None:
    if (match.group("per") or "").lower() not in ("", *_MONTHS):
        return  # a unit price ("$0.01 per query") is a figure, not a budget
    if not match.group("per") and _UNIT_PRICE.match(clause.text, match.end()):
        return
    cue = _nearest_cue(clause.text, match.start(), match.end())
    factor = _monthly_factor(match, clause)
    if factor is None and cue == "spend" and re.search(r"\b(?:bill|invoice)", clause.text, re.I):
        factor = 1.0  # a bill is monthly
    if factor is None and cue == "budget" and "current_monthly_spend_usd" in acc.facts and _REFERS_BACK.search(clause.text):
        factor = 1.0  # "we spend €7,000/month ... wants that under €2,500": the same period as the spend
    if factor is None:
        return
    value = round(parse_number(match.group(group)) * factor * _usd_rate(acc, match.group(0)), 2)
    name = "current_monthly_spend_usd" if cue == "spend" else "monthly_budget_usd"
    if acc.put(name, value, acc.quote(*clause.span(match))):
        acc.use(clause.span(match, group))


# --------------------------------------------------------------------------- hardware

_GPU_MEMORY = {"h100": 80.0, "h200": 141.0, "l4": 24.0, "a10": 24.0, "a10g": 24.0, "t4": 16.0,
               "l40s": 48.0, "l40": 48.0, "a6000": 48.0, "rtx a6000": 48.0, "rtx 4090": 24.0,
               "rtx 3090": 24.0, "mi300x": 192.0}
_GPU_MODEL = r"(?P<model>h100|h200|a100|a10g|a10|l40s|l40|l4|t4|v100|rtx\s?a6000|a6000|rtx\s?\d{4}(?:\s?ti)?|[34]0[789]0(?:\s?ti)?(?!\d)|mi300x?|mi250|b200|gh200|a40|a30|p100)"
_COUNT = rf"(?P<n>{_NUM}|{_WNUM}|\ba single\b|\bsingle\b|\ban?\b)"
# "3,000 GPU training runs", "500 A100 hours": a count of something GPUs do, not of GPUs
_NOT_DEVICES = r"(?!\s*-?\s*(?:hours?|hrs?|h\b|days?|minutes?|(?:training\s+|fine-tuning\s+)?(?:runs?|jobs?)|time|budget|spend|bills?|costs?|credits?|quota|utili[sz]ation))"
_GPU_WITH_MODEL = _rx(
    rf"{_COUNT}\s*(?:x|×)?\s*(?:(?P<mem>\d+)\s?gb\s+)?(?:nvidia\s+)?{_GPU_MODEL}(?=s\b|\b)"
    rf"(?:[\s-]?(?P<mem2>\d+)\s?gb)?(?:s\b|\s?gpus?\b|\s?cards?\b)?{_NOT_DEVICES}"
)
_GPU_GENERIC = _rx(rf"{_COUNT}\s*(?:x\s*)?(?:(?:on-?prem(?:ise)?s?|local|dedicated|shared|own|beefy|big|small)\s+)?"
                   rf"(?:(?P<mem>\d+)\s?gb\s+)?(?:nvidia\s+)?gpus?\b{_NOT_DEVICES}")
_GPU_BARE = _rx(rf"(?:(?P<mem>\d+)\s?gb\s+)?(?:nvidia\s+)?\b{_GPU_MODEL}\b(?:[\s-]?(?P<mem2>\d+)\s?gb)?")
_VRAM = _rx(rf"(?P<n>{_NUM})\s?gb\s+(?:of\s+)?(?:vram|gpu memory)")
_RAM = _rx(rf"(?:(?P<n>{_NUM})\s?(?P<u>gb|tb)\s+(?:of\s+)?(?:ram|memory|system memory|unified memory|ddr\d?)\b|"
           rf"\b(?:ram|memory)\s*(?::|of|is)?\s*(?P<n2>{_NUM})\s?(?P<u2>gb|tb)\b)")
# an Apple-silicon machine's memory, read over the whole text (the comma splits the clause):
# "MacBook (M2, 16 GB)", "M3 Max with 64GB"
_APPLE_MEMORY = _rx(rf"\bm[1-5](?:\s(?:pro|max|ultra))?[,\s]+(?:with\s+)?(?P<n>{_NUM})\s?(?P<u>gb|tb)\b")
_CPU_ONLY = _rx(
    r"\b(?:cpu[- ]only|only cpus?|cpus? only|no gpus?|without (?:a |any )?gpus?|(?:don't|do not|doesn't) have (?:a |any )?gpus?|no access to (?:a |any )?gpus?)\b"
)


def _gpu_count(raw: str) -> int:
    word = raw.lower().strip()
    return 1 if word in ("a", "an", "single", "a single") else int(parse_number(word))


def _model_name(raw: str) -> str:
    name = " ".join(raw.split()).upper().replace("RTX", "RTX ").replace("  ", " ").strip()
    return f"RTX {name}" if name[:1].isdigit() else name


def _known_memory(model: str) -> float | None:
    return _GPU_MEMORY.get(" ".join(model.lower().split()))


def _gpu_match(acc: Reading, clause: _Clause, match: re.Match[str], *, counted: bool, named: bool) -> None:
    quote = acc.quote(*clause.span(match))
    model = _model_name(match.group("model")) if named else ""
    if counted:
        acc.set_hardware("gpus", _gpu_count(match.group("n")), quote)
    if named:
        acc.set_hardware("gpu_model", model, quote)
    memory = match.groupdict().get("mem") or match.groupdict().get("mem2")
    if memory or named:
        acc.set_hardware("gpu_memory_gb", float(memory) if memory else _known_memory(model), quote)
    acc.use(clause.span(match))


def _gpus(acc: Reading, clause: _Clause) -> None:
    """"2x A100 80GB", "8 GPUs", "an L4": count, model and memory (known memory for unambiguous models)."""
    for pattern, counted, named in ((_GPU_WITH_MODEL, True, True), (_GPU_GENERIC, True, False), (_GPU_BARE, False, True)):
        for match in pattern.finditer(clause.text):
            if acc.free(clause.span(match)) and (pattern is _GPU_WITH_MODEL or not _negated(clause, match)):
                _gpu_match(acc, clause, match, counted=counted, named=named)


def _apple_memory(acc: Reading) -> None:
    match = _APPLE_MEMORY.search(acc.low)
    if match and acc.free(match.span("n")) and "ram_gb" not in acc.hardware:
        scale = 1000.0 if match.group("u") == "tb" else 1.0
        acc.set_hardware("ram_gb", parse_number(match.group("n")) * scale, acc.quote(*match.span()))
        acc.use(match.span("n"))


def _memory(acc: Reading, clause: _Clause) -> None:
    for match in _free_matches(acc, clause, _VRAM):
        acc.set_hardware("gpu_memory_gb", parse_number(match.group("n")), acc.quote(*clause.span(match)))
        acc.use(clause.span(match, "n"))
    for match in _RAM.finditer(clause.text):
        group, unit = ("n", "u") if match.group("n") else ("n2", "u2")
        if acc.free(clause.span(match, group)):
            scale = 1000.0 if match.group(unit) == "tb" else 1.0
            acc.set_hardware("ram_gb", parse_number(match.group(group)) * scale, acc.quote(*clause.span(match)))
            acc.use(clause.span(match, group))


def _hardware(acc: Reading, clause: _Clause) -> None:
    for match in _CPU_ONLY.finditer(clause.text):
        acc.set_hardware("cpu_only", True, acc.quote(*clause.span(match)))
    _gpus(acc, clause)
    _memory(acc, clause)


def _hardware_fact(acc: Reading) -> Fact[Hardware] | None:
    if not acc.hardware:
        return None
    values = {k: v for k, v in acc.hardware.items() if v is not None}
    if values.get("cpu_only"):
        values["gpus"] = 0
    elif values.get("gpu_model") and not values.get("gpus"):
        values["gpus"] = 1  # "my RTX 4090", "an L4": one GPU of that model
    return Fact.said(Hardware(**values), " … ".join(acc.hardware_quotes))


# --------------------------------------------------------------------------- latency

_TIME_UNIT = r"(?P<u>ms|msec|milliseconds?|s|secs?|seconds?|minutes?|mins?)"
_LATENCY_NUMBER = _rx(rf"(?P<n>{_NUM})\s?{_TIME_UNIT}\b")
_LATENCY_CUE = _rx(
    r"\b(?:latency|latencies|response|respond\w*|answer\w*|repl(?:y|ies)|returns?|p\d{2,3}|median|ttft|"
    r"time to first token|end-to-end|round[- ]trip|inference|alert\w*|predictions?\s+in|lookups?|look-ups?|"
    # a time budget for each call: "a budget of 10 ms per call" (money is never in milliseconds)
    r"budget of|per (?:call|request|query|prediction|lookup))\b"
)
_COMPARATOR = _rx(r"(?:\b(?:under|below|within|less than|at most|no more than|no slower than|max(?:imum)?|sub)\b|<=?|≤|sub-)\s*~?$")
_NOT_LATENCY = _rx(
    r"\b(?:every|keep|retain|retention|searchable|indexed|index|ingest\w*|retrain\w*|train\w*|sync\w*|refresh\w*|"
    r"freshness|stale|lag|long|calls? of|recordings?|videos?|audio|timeout|build|job|window)\b"
)
_ACCEPTABLE_AFTER = _rx(
    r"^\s*(?:is|are|would be|should be|will be)\s+(?:fine|ok|okay|acceptable|enough|the max(?:imum)?|the limit)\b"
    r"|^\s*(?:max(?:imum)?|tops|at most|or (?:less|faster|better))\b"
)
_PERCENTILE = _rx(r"\b(?:(?P<p>p\d{2,3}|median|average|mean|avg)|(?P<q>\d{2}(?:\.\d+)?)(?:th|st|nd|rd)?[- ]percentile)\b")


def _latency_seconds(value: float, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("m") and not unit.startswith("min"):
        return value / 1000
    return value * 60 if unit.startswith("min") else value


def _percentile(clause: _Clause) -> str:
    match = _PERCENTILE.search(clause.text)
    if match is None:
        return "p95"
    if match.group("q"):
        return "p" + match.group("q").replace(".", "")
    word = match.group("p")
    return {"median": "p50", "average": "mean", "avg": "mean"}.get(word, word)


def _is_latency(clause: _Clause, match: re.Match[str]) -> bool:
    unit = match.group("u").lower()
    cue = bool(_LATENCY_CUE.search(clause.text))
    compared = bool(_COMPARATOR.search(clause.text[: match.start()]) or _ACCEPTABLE_AFTER.search(clause.text[match.end() :]))
    if _NOT_LATENCY.search(clause.text) and not cue:
        return False
    if unit.startswith("min"):
        return cue and compared
    return cue or compared


def _latency(acc: Reading, clause: _Clause) -> None:
    if "latency" in acc.facts:
        return
    for match in _free_matches(acc, clause, _LATENCY_NUMBER):
        if not _is_latency(clause, match):
            continue
        seconds = _latency_seconds(parse_number(match.group("n")), match.group("u"))
        start, end = clause.span(match)
        cue = _COMPARATOR.search(clause.text[: match.start()])
        if cue:
            start = clause.start + cue.start()
        label = _PERCENTILE.search(clause.text)
        if label:
            start, end = min(start, clause.start + label.start()), max(end, clause.start + label.end())
            if label.group("q"):
                acc.use(clause.span(label, "q"))
        acc.put("latency", Latency(seconds=seconds, percentile=_percentile(clause)), acc.quote(start, end))
        acc.use(clause.span(match))
        return
    sub = re.search(r"\bsub-?second\b", clause.text, re.I)
    if sub:
        acc.put("latency", Latency(seconds=1.0, percentile=_percentile(clause)), acc.quote(*clause.span(sub)))


# --------------------------------------------------------------------------- retention

_RETENTION_CUE = _rx(r"\b(?:retain\w*|retention|keep|kept|store|stored|archive\w*|delete\w*|purge\w*|hold|held|preserve\w*|ttl)\b")
_DURATION = _rx(rf"(?P<n>{_ANY})[-\s]?(?P<u>days?|weeks?|months?|years?)\b")
_DAYS = {"day": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}


def _retention(acc: Reading, clause: _Clause) -> None:
    cue = _RETENTION_CUE.search(clause.text)
    if cue is None:
        return
    for match in _free_matches(acc, clause, _DURATION):
        days = parse_number(match.group("n")) * _DAYS[match.group("u").lower().rstrip("s")]
        start = clause.start + cue.start() if cue.start() < match.start() else clause.start + match.start()
        end = max(clause.span(match)[1], clause.start + cue.end())
        if acc.put("retention_days", days, acc.quote(start, end)):
            acc.use(clause.span(match, "n"))
        return


# --------------------------------------------------------------------------- batch volume

_BATCH_CUE = _rx(
    r"\b(?:nightly|every night|each night|once (?:a|per|every) night|overnight|batch\w*|once a (?:day|week)|daily|weekly|hourly|per run|each run|one-off|one-time|"
    r"scor(?:e|es|ed|ing)|backfill\w*|offline (?:scoring|inference|predictions?))\b"
)
_BATCH_NOUN = (
    r"(?P<noun>rows|records|customers|users|accounts|transactions|predictions|items|products|listings|images|"
    r"loans|claims|members|devices|orders|sessions|skus|entities|households|policies|invoices|subscribers|"
    r"applications|applicants|borrowers|shipments|parcels|contracts|merchants|stores|titles|appointments|patients|"
    r"visits|bookings|reservations|leads|quotes|trips|vehicles|students|assets|meters|properties|tickets)"
)
_BATCH = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?{_BATCH_NOUN}\b(?!\s*(?:per|/|a|an|each|every)\s*(?:second|sec|s|minute|min)\b)")
_NOT_BATCH_ITEMS = (
    "seconds|minutes|hours|days|weeks|months|years|ms|gbs|tbs|dollars|euros|percent|times|regions|engineers|"
    "people|scientists|developers|models|features|columns|gpus|cpus|nodes|servers|machines|jobs|runs|times"
)
# "scores 12 million loan applications nightly": whatever plural noun the run counts
_BATCH_ANY = _rx(
    rf"\b(?:scor\w*|process\w*|predict\w*|classif\w*|embed\w*|run\w* (?:on|over))\s+(?:about\s+|~\s*|around\s+|roughly\s+)?"
    rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?P<noun>(?!(?:{_NOT_BATCH_ITEMS})\b)[a-z]+s)\b"
    r"(?!\s*(?:per|/|a|an|each|every)\s*(?:second|sec|s|minute|min|hour|hr|h)\b)"
)


def _batch(acc: Reading, clause: _Clause) -> None:
    cue, cue_at = _BATCH_CUE.search(clause.text), clause
    following = _next_clause(acc, clause)
    if cue is None and following is not None and acc.text[clause.start + len(clause.text): following.start].strip() == ",":
        # the cue right after a comma: "about 2,000 appointments a day, scored the evening before"
        text = following.text.lstrip()
        cue_at = _Clause(following.start + len(following.text) - len(text), text)
        cue = _BATCH_CUE.match(text)
    if cue is None or "daily active" in clause.text.lower():
        return
    for match in [*_free_matches(acc, clause, _BATCH), *_free_matches(acc, clause, _BATCH_NEW), *_free_matches(acc, clause, _BATCH_ANY)]:
        unit = _CORPUS_UNITS.get(match.group("noun"), match.group("noun"))
        quantity = Quantity(amount=parse_number(match.group("n")), unit=unit)
        start = min(cue_at.start + cue.start(), clause.span(match)[0])
        end = max(cue_at.start + cue.end(), clause.span(match)[1])
        if acc.put("batch_volume", quantity, acc.quote(start, end)):
            acc.use(clause.span(match, "n"))
            if acc.put("mode", "batch", acc.quote(*cue_at.span(cue))):
                acc.notes["batch_by_volume"] = "yes"
        return


# --------------------------------------------------------------------------- events

_EVENT_NOUN = r"(?P<noun>events|messages|msgs|clicks|impressions|transactions|log lines|logs|records|readings|signals|updates|rows|spans)"
_EVENTS = _rx(rf"(?P<n>{_NUM})(?!\s?(?:tb|gb|pb|mb|kb|terabytes?|gigabytes?|megabytes?)\b)\s+(?:[a-z][\w-]*\s+){{0,2}}?"
              rf"{_EVENT_NOUN}{_PERIOD}")  # "40 GB of logs a day" is a volume, not 40 events
_EVENTS_SHORT = _rx(rf"(?P<n>{_NUM})\s?(?:eps|events/s(?:ec)?|msgs?/s(?:ec)?|messages/s(?:ec)?)\b")
_SCORING = _rx(r"\b(?:scor\w*|predict\w*|classif\w*|api|endpoint|serv\w*|inference)\b")
_CHATTY = _rx(r"\b(?:chat\w*|bot|assistant|users?|customers?|agents?)\b")


# a fleet of sources, each reporting at a fixed interval: "200k sensors sending a reading every 10 seconds"
# things in the field that send data: a fleet reporting on an interval or sampled at a rate
_DEVICES = ("sensors|devices|machines|vehicles|meters|cameras|trucks|phones|stations|trackers|gateways|buses|cars|ships|"
            "vessels|robots|drones|turbines|pumps|motors|bearings|engines|channels|accelerometers|assets|terminals|scooters|"
            "bikes|lorries|locomotives|trains|aircraft|wells|thermostats|wearables|beacons|tags|inverters|elevators|lifts|"
            "compressors|chillers")
_FLEET = _rx(
    rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?:{_DEVICES})\b[^.;]{{0,80}}?\bevery\s+(?:(?P<k>{_NUM})\s+)?"
    r"(?P<per>second|sec|s|minute|min|hour|hr|h|day|d)s?\b")


# a fleet sampled at a rate: "200 wind turbines (1 kHz sampling)", "40 pumps, each sampled at 50 Hz"
_FLEET_SAMPLED = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?!cameras\b)(?:{_DEVICES})\b[^.;]{{0,60}}?(?P<k>{_NUM})\s?(?P<u>khz|hz)\b")
_HZ = {"hz": 1.0, "khz": 1000.0}


def _fleet_sampling(acc: Reading) -> None:
    """Readings a day of a fleet sampled at a stated rate (the rate may sit in brackets or after a comma)."""
    for match in _FLEET_SAMPLED.finditer(acc.low):
        if not (acc.free(match.span("n")) and acc.free(match.span("k"))):
            continue
        rate = parse_number(match.group("k")) * _HZ[match.group("u")]
        if rate > 0 and acc.put("events_per_day", parse_number(match.group("n")) * rate * 86400, acc.quote(*match.span())):
            acc.use(match.span("n"))
            acc.use(match.span("k"))
            acc.notes.setdefault("streaming", acc.quote(*match.span()))
            acc.add("data_kinds", "time_series", acc.quote(match.start("k"), match.end("u")))  # a sampled signal
        return


# ... or any plural noun that reports on an interval, when the clause says it sends something:
# "pings from 600 trams every 10 seconds", "1,200 pumps report their pressure every minute"
_FLEET_ANY = _rx(
    rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?!(?:seconds|minutes|hours|days|users|people|engineers)\b)[a-z]{{3,}}s\b"
    rf"[^.;]{{0,40}}?\bevery\s+(?:(?P<k>{_NUM})\s+)?(?P<per>second|sec|s|minute|min|hour|hr|h|day|d)s?\b")
_REPORTING = _rx(r"\b(?:pings?|reports?|sends?|sending|emits?|readings?|positions?|locations?|telemetry|heartbeats?|"
                 r"events?|messages?|updates?|samples?|measurements?|gps)\b")


def _events(acc: Reading, clause: _Clause) -> None:
    for match in _free_matches(acc, clause, _EVENTS_SHORT):
        _put_events(acc, clause, match, parse_number(match.group("n")) * 86400, per_second=True)
        return
    fleets = list(_free_matches(acc, clause, _FLEET))
    if not fleets and _REPORTING.search(clause.text):
        fleets = list(_free_matches(acc, clause, _FLEET_ANY))
    for match in fleets:
        seconds = _period_seconds(match) or 86400.0
        every = parse_number(match.group("k")) if match.group("k") else 1.0
        if every > 0:
            _put_events(acc, clause, match, parse_number(match.group("n")) * 86400 / (seconds * every),
                        per_second=seconds * every < 3600)
            if match.group("k"):
                acc.use(clause.span(match, "k"))
            return
    for match in _free_matches(acc, clause, _EVENTS):
        if match.group("noun") in ("messages", "msgs") and _CHATTY.search(clause.text):
            continue  # chat messages are requests
        if match.group("noun") == "transactions" and _SCORING.search(clause.text):
            continue  # transactions a model scores are its load
        seconds = _period_seconds(match)
        if seconds is None:
            continue
        _put_events(acc, clause, match, parse_number(match.group("n")) * 86400 / seconds, per_second=seconds < 3600)
        return


def _put_events(acc: Reading, clause: _Clause, match: re.Match[str], per_day: float, *, per_second: bool) -> None:
    quote = acc.quote(*clause.span(match))
    if acc.put("events_per_day", per_day, quote):
        acc.use(clause.span(match, "n"))
        if per_second:
            acc.notes.setdefault("streaming", quote)


# --------------------------------------------------------------------------- data volume

_SIZE = _rx(rf"(?P<n>{_NUM})\s?(?P<u>tb|gb|pb|mb|terabytes?|gigabytes?|petabytes?|megabytes?)\b"
            rf"(?P<rest>(?:\s+(?:of\s+)?(?:new\s+)?[a-z][\w-]*(?:\s+(?:data|logs?|events|files))?)?{_PERIOD})?")
_SIZE_TO_GB = {"t": 1000.0, "g": 1.0, "p": 1_000_000.0, "m": 0.001}
_PER_DAY_BEFORE = _rx(r"\b(?:daily|per day|each day|every day|a day)\b[^,;]{0,25}$")


# a size that is a machine's memory, not data: "4x L40S (48 GB)", "an A100 80GB", "64 GB of RAM", "24 GB VRAM"
_MEMORY_BEFORE = _rx(r"(?:\b(?:gpus?|vram|ram|memory|[ahlt]\d{1,3}s?|l40s?|rtx\s?\d{4}|a6000|h200|mi\d{3}x?|jetson\w*|"
                     r"mac\w*|m\d (?:max|pro|ultra))\b)[ \t(:,x×-]{0,3}(?:\w+[ \t(:,-]{1,3}){0,2}$")
_MEMORY_AFTER = _rx(r"^\s*(?:of\s+)?(?:gpu\s+)?(?:ram|vram|memory|hbm|unified memory)\b")
# a size that bounds what ships, not data: "has to stay under 5 MB", "a 40 MB model", "max 200 MB download"
_CEILING_BEFORE = _rx(r"\b(?:under|below|at\s+most|max(?:imum)?|smaller\s+than|less\s+than|no\s+more\s+than|within)\s*$|[<≤]\s*$")
_ARTIFACT_AFTER = _rx(r"^\s*(?:models?|binary|binaries|bundles?|artifacts?|footprint|downloads?|packages?|weights|checkpoints?)\b")


# the link data crosses: "a satellite connection of a few Mbit/s", "4G uplink, ~2 Mbps per site"
_BANDWIDTH = _rx(r"(?P<n>(?:a\s+)?few|\d+(?:[.,]\d+)?)\s?(?P<u>gbit/s|gbps|mbit/s|mbps|mbits/s|kbit/s|kbps)\b")
_LINK = _rx(r"\b(?:links?|connections?|connectivity|uplinks?|backhaul|satellite|bandwidth|4g|lte|5g|radio|vsat|starlink|"
            r"modems?|lines?|network)\b")
_BANDWIDTH_TO_MBPS = {"g": 1000.0, "m": 1.0, "k": 0.001}


# tokens one request holds: "8k-token contracts", "prompts of about 6,000 tokens", "a 32k context window"
_CONTEXT = _rx(rf"(?P<n>{_NUM})\s?(?P<k>k)?[- ]tokens?\s+(?:long\s+)?(?:contracts|documents|docs|prompts|inputs|contexts?|"
               rf"conversations|transcripts|reports|files|pages|requests|queries|emails)\b|"
               rf"\b(?:prompts?|inputs?|contexts?|contracts|documents)\s+(?:of\s+)?(?:about\s+|around\s+|up\s+to\s+|~\s*)?"
               rf"(?P<m>{_NUM})\s?(?P<mk>k)?\s+tokens\b|(?P<c>{_NUM})\s?(?P<ck>k)?\s+(?:token\s+)?context(?:\s+window)?\b")


# hours of recordings to process: "about 400 hours of audio a week", "120 h of call recordings per day"
_MEDIA_HOURS = _rx(rf"(?P<n>{_NUM})\s?(?:hours?|hrs?|h)\s+of\s+(?:new\s+|recorded\s+|raw\s+)?(?:\w+\s+)?(?:audio|recordings?|video|"
                   rf"footage|calls?|podcasts?|episodes?|shows?|programmes?|programs?|speech|meetings?|interviews?|lectures?|"
                   rf"broadcasts?|sermons?|hearings?)\b(?:{_PERIOD})?")


def _media_hours(acc: Reading, clause: _Clause) -> None:
    """Hours of recordings a day to process, or (with no period) an archive of them to search."""
    for match in _free_matches(acc, clause, _MEDIA_HOURS):
        seconds = _period_seconds(match)
        amount, quote = parse_number(match.group("n")), acc.quote(*clause.span(match))
        if seconds and acc.put("media_hours_per_day", amount * 86400 / seconds, quote):
            acc.use(clause.span(match, "n"))
        elif seconds is None and acc.put("corpus", Quantity(amount=amount, unit=AUDIO_HOURS), quote):
            acc.use(clause.span(match, "n"))
        return


def _context_tokens(acc: Reading, clause: _Clause) -> None:
    """Tokens one request puts in the model's context ("8k-token contracts" are 8,000)."""
    for match in _CONTEXT.finditer(clause.text):
        group = next(g for g in ("n", "m", "c") if match.group(g))
        if not acc.free(clause.span(match, group)):
            continue
        thousands = match.group({"n": "k", "m": "mk", "c": "ck"}[group])
        tokens = parse_number(match.group(group)) * (1000 if thousands else 1)
        if tokens >= 100 and acc.put("context_tokens", int(tokens), acc.quote(*clause.span(match))):
            acc.use(clause.span(match, group))
        return


def _uplink(acc: Reading, clause: _Clause) -> None:
    """The bandwidth of a link the request names ("a satellite connection of a few Mbit/s": a few is read as 3)."""
    for match in _free_matches(acc, clause, _BANDWIDTH):
        if not _LINK.search(clause.text):
            continue
        amount = 3.0 if "few" in match.group("n") else parse_number(match.group("n"))
        if acc.put("uplink_mbps", amount * _BANDWIDTH_TO_MBPS[match.group("u")[0]], acc.quote(*clause.span(match))):
            acc.use(clause.span(match, "n"))
        return


def _data_volume(acc: Reading, clause: _Clause) -> None:
    for match in _free_matches(acc, clause, _SIZE):
        start, end = clause.span(match)
        if _MEMORY_BEFORE.search(acc.low[max(0, start - 40):start]) or _MEMORY_AFTER.search(acc.low[end:end + 30]):
            continue  # the hardware's memory (read with the hardware)
        if _ARTIFACT_AFTER.search(acc.low[end:end + 20]) or (
                not match.group("rest") and _CEILING_BEFORE.search(acc.low[max(0, start - 20):start])):
            continue  # the size of what ships
        gb = parse_number(match.group("n")) * _SIZE_TO_GB[match.group("u")[0].lower()]
        seconds = _period_seconds(match) if match.group("rest") else None
        if seconds is None and _PER_DAY_BEFORE.search(clause.text[: match.start()]):
            seconds = 86400.0
        quote = acc.quote(*clause.span(match))
        if seconds is not None:
            taken = acc.put("data_volume_gb_per_day", gb * 86400 / seconds, quote)
        else:
            taken = acc.put("data_volume_gb", gb, quote)
        if taken:
            acc.use(clause.span(match, "n"))


# --------------------------------------------------------------------------- requests and users

_RPS_SHORT = _rx(rf"(?P<n>{_NUM})\s?(?P<u>rps|qps|rpm|qpm|tps|req/s(?:ec)?|reqs/s(?:ec)?|requests/s(?:ec)?|queries/s(?:ec)?|requests/min)\b")
_REQUEST_NOUN = (
    r"(?P<noun>requests?|queries|query|calls|api calls|predictions|inferences|questions|searches|conversations|chats|"
    r"sessions|lookups|hits|page ?views|prompts|completions|generations|messages|classifications|summaries|"
    r"recommendations|transcriptions|translations|lookups|scorings?|transactions)"
)
_RATE = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?{_REQUEST_NOUN}{_PERIOD}")
# media a model takes per second or minute is its load ("30 images per second from the line cameras");
# a daily count of them is a pipeline's or a batch's volume, read by their own rules
_MEDIA_RATE = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?P<noun>images|photos|pictures|frames|scans|clips|videos|"
                  rf"recordings|(?:audio )?streams|concurrent (?:calls|streams)){_PERIOD}")
# a stated volume of anything the model handles: "Volume is about 2 million documents a day"
_VOLUME_RATE = _rx(rf"\b(?:volume|throughput|load)\s*(?:is|of|will be|:)?\s*(?:about\s+|around\s+|roughly\s+|~\s*)?"
                   rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?"
                   # events, rows and bytes are a pipeline's volume, read by their own rules
                   r"(?!(?:events|messages|msgs|clicks|impressions|records|rows|logs|readings|signals|updates|spans|"
                   r"users|people|gbs|tbs|mbs|bytes)\b)[a-z]+s" + _PERIOD)
_USER_NOUN = (
    r"(?P<unoun>users|employees|customers|agents|analysts|doctors|clinicians|physicians|nurses|lawyers|students|"
    r"members|subscribers|listeners|staff|people|patients|visitors|shoppers|drivers|sellers|merchants|clients|readers|"
    r"viewers|players|learners|traders|advisors|reps|colleagues|engineers|developers|researchers|teachers|sres|"
    r"technicians|mechanics|operators|underwriters|adjusters|auditors|accountants|pharmacists|caseworkers|officers|"
    r"salespeople|recruiters|teammates|workers|volunteers|residents|citizens|passengers|guests|tenants)"
)
_USERS = _rx(
    rf"(?:(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?{_USER_NOUN}\b"
    rf"|(?P<n2>{_NUM})\s?(?P<au>dau|mau|wau|daily active users|monthly active users|weekly active users)\b)"
)
_PER_USER = _rx(r"\b(?:each|apiece|per (?:user|person|employee|agent|analyst|head|customer)|a head)\b")
# the sources a rate is stated per: "12 cameras at 30 images per second each", "40 stores, each sending 5 requests a second"
_SOURCES_COUNT = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+)?(?:{_DEVICES}|stores|shops|branches|plants|factories|sites|"
                     r"(?:production |assembly )?lines|kiosks|scanners|microphones|streams|feeds|tenants|clients|apps|services|"
                     r"cent(?:re|er)s|hospitals|clinics|warehouses|depots|restaurants|hotels|offices|farms|mines|ports)\b")
_EACH_LEAD = _rx(r"^\s*(?:and\s+)?each\b")
_PLURAL_COUNT = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+)?[a-z]{{3,}}s\b")
_USERS_ASK = _rx(r"\b(?:ask|asks|asking|send|sends|sending|make|makes|making|submit|submits|submitting|run|runs|running|issue|issues|"
                 r"issuing|do|does|doing|post|posts|posting|type|types|typing)\b")
_PEAK = _rx(r"\b(?:peak\w*|max(?:imum)?|burst\w*|spikes?|busiest)\b")


ONE_PERSON_PER_DAY = 200  # more requests a day than one person makes: a rate stated for everyone together


def _rate_value(match: re.Match[str]) -> tuple[float, float]:
    """(per second, per day) of a rate match."""
    seconds = _period_seconds(match) or 86400.0
    value = parse_number(match.group("n"))
    return value / seconds, value * 86400 / seconds


def _users_before(acc: Reading, clause: _Clause, limit: int) -> re.Match[str] | None:
    found = None
    for match in _USERS.finditer(clause.text[:limit]):
        if _team_context(clause, match):
            continue
        found = match
    return found


def _next_clause(acc: Reading, clause: _Clause) -> _Clause | None:
    index = acc.clauses.index(clause)
    return acc.clauses[index + 1] if index + 1 < len(acc.clauses) else None


def _previous_clause(acc: Reading, clause: _Clause) -> _Clause | None:
    index = acc.clauses.index(clause)
    return acc.clauses[index - 1] if index > 0 else None


def _requests(acc: Reading, clause: _Clause) -> None:
    for match in _free_matches(acc, clause, _RPS_SHORT):
        seconds = 60.0 if match.group("u").lower() in ("rpm", "qpm", "requests/min") else 1.0
        _put_rps(acc, clause, match, parse_number(match.group("n")) / seconds, acc.quote(*clause.span(match)))
        _bare_peak(acc, clause, match, seconds)
    for match in [*_free_matches(acc, clause, _RATE), *_free_matches(acc, clause, _VOLUME_RATE)]:
        _one_rate(acc, clause, match)
    for match in _free_matches(acc, clause, _MEDIA_RATE):
        if (_period_seconds(match) or 86400.0) < 86400:
            _one_rate(acc, clause, match)


def _media_volume(acc: Reading, clause: _Clause) -> None:
    """"About 300k photos a month" that no other rule took: the files a day the system takes in (a
    pipeline's volume; the rate of a served model is read by :func:`_requests`)."""
    for match in _free_matches(acc, clause, _MEDIA_RATE):
        seconds = _period_seconds(match) or 86400.0
        if seconds < 86400:
            continue
        per_day, (start, end) = _rate_value(match)[1], clause.span(match)
        sources = _sources_of(acc, clause, match) if _PER_USER.search(clause.text) else None
        if sources is not None:  # "12 plants, each producing 3,000 inspection images a day"
            per_day, start = per_day * sources[0], sources[1]
        if acc.put("events_per_day", per_day, acc.quote(start, end)):
            acc.use(clause.span(match, "n"))


def _sources_before(acc: Reading, clause: _Clause, limit: int) -> re.Match[str] | None:
    """The last free count of sources ("12 cameras") in ``clause`` before ``limit``."""
    found = [m for m in _SOURCES_COUNT.finditer(clause.text[:limit]) if acc.free(clause.span(m, "n"))]
    return found[-1] if found else None


def _sources_of(acc: Reading, clause: _Clause, match: re.Match[str]) -> tuple[float, int] | None:
    """The count of sources a rate ``match`` is stated for, each ("12 cameras at 30 images per second
    each", "12 plants, each producing 3,000 images a day"), and where it starts; taken (used)."""
    source = _sources_before(acc, clause, match.start())
    clause_of, previous = clause, _previous_clause(acc, clause)
    if source is None and previous is not None:
        clause_of, source = previous, _sources_before(acc, previous, len(previous.text))
        if source is None and _EACH_LEAD.match(clause.text):  # "We run 9 bakeries, each producing ...": any plural
            found = [m for m in _PLURAL_COUNT.finditer(previous.text) if acc.free(previous.span(m, "n"))]
            source = found[-1] if found else None
    if source is None:
        return None
    acc.use(clause_of.span(source, "n"))
    return parse_number(source.group("n")), clause_of.span(source)[0]


def _one_rate(acc: Reading, clause: _Clause, match: re.Match[str]) -> None:
    per_second, per_day = _rate_value(match)
    start, end = clause.span(match)
    users_clause, users = clause, _users_before(acc, clause, match.start())
    # "2,000 users each ask 10 questions a day"; "3,000 employees asking about 6,000 questions a day" is a total
    # (nobody asks thousands a day), unless the clause says "each" or "per user"
    per_user = bool(_PER_USER.search(clause.text)) or bool(
        users and _USERS_ASK.search(clause.text[users.end() : match.start()]) and per_day <= ONE_PERSON_PER_DAY)
    if per_user and users is None:
        previous = _previous_clause(acc, clause)
        if previous is not None:
            users_clause, users = previous, _users_before(acc, previous, len(previous.text))
    if per_user and users is not None:
        count = parse_number(users.group("n") or users.group("n2"))
        per_second, per_day = per_second * count, per_day * count
        start = users_clause.span(users)[0]
        _put_users(acc, users_clause, users)
    elif per_user:
        sources = _sources_of(acc, clause, match)
        if sources is not None:
            count, start = sources
            per_second, per_day = per_second * count, per_day * count
    quote = acc.quote(start, end)
    seconds = _period_seconds(match) or 86400.0
    if seconds < 86400:
        _put_rps(acc, clause, match, per_second, quote)
        _bare_peak(acc, clause, match, seconds)
    elif acc.put("requests_per_day", per_day, quote, replace=bool(acc.notes.pop("day_from_average", ""))):
        acc.use(clause.span(match, "n"))


_BARE_PEAK = _rx(
    rf"(?:(?P<n>{_NUM})\s+(?:at|during|in)\s+(?:the\s+)?peaks?\b"
    rf"|\b(?:peaks?|spikes?|bursts?|spiking|bursting)\s+(?:of|at|around|near|up to|to|is|:)?\s*(?:~\s*)?(?P<m>{_NUM})"
    # a bare number: not one with its own unit ("peaks of 300 users"), but "spikes to 200 during campaigns"
    r"(?!\d|[,.]\d|\s*(?:[%$/]|(?!(?:during|when|in|on|at|around|while|before|after|if|for)\b)[a-z])))"
)


def _bare_peak(acc: Reading, clause: _Clause, rate: re.Match[str], seconds: float) -> None:
    """"10 requests per second on average and 50 at peak" (or "..., spikes to 200" in the next
    clause): the unit is the rate's."""
    following = _next_clause(acc, clause)
    if not any(_BARE_PEAK.finditer(clause.text, rate.end())) and following is not None:
        clause, rate = following, None
    for match in _BARE_PEAK.finditer(clause.text, rate.end() if rate else 0):
        group = "n" if match.group("n") else "m"
        if acc.free(clause.span(match, group)):
            quote = acc.quote(clause.span(rate)[0] if rate else clause.span(match)[0], clause.span(match)[1])
            _keep_average(acc)
            acc.put("peak_rps", parse_number(match.group(group)) / seconds, quote, replace=True)
            acc.notes["peak"] = quote
            acc.use(clause.span(match, group))
            return


_LOCAL_STOP = re.compile(r",|;|\d|\s(?:and|but|with|while)\s", re.I)


def _local(text: str, match: re.Match[str]) -> str:
    """The words around ``match`` up to the nearest comma, conjunction or other number:
    in "20 rps on average and 300 rps at peak" the peak belongs to the 300 alone."""
    before = text[: match.start()]
    cuts = [m.end() for m in _LOCAL_STOP.finditer(before)]
    after = text[match.end():]
    stop = _LOCAL_STOP.search(after)
    return before[cuts[-1] if cuts else 0:] + " " + after[: stop.start() if stop else len(after)]


def _put_rps(acc: Reading, clause: _Clause, match: re.Match[str], per_second: float, quote: str) -> None:
    peak = bool(_PEAK.search(_local(clause.text, match)))
    previous = acc.facts.get("peak_rps")
    replace = peak and previous is not None and not _PEAK.search(previous.quote) and "peak" not in acc.notes
    if replace:
        _keep_average(acc)
    if acc.put("peak_rps", per_second, quote, replace=replace) or replace:
        acc.use(clause.span(match, "n"))
        if peak:
            acc.notes["peak"] = quote


def _keep_average(acc: Reading) -> None:
    """A rate about to be replaced by a later peak ("15 QPS on average, spikes to 200") is the usual
    load: it sets the daily volume unless the request states one."""
    average = acc.facts.get("peak_rps")
    if average is not None and "peak" not in acc.notes and "requests_per_day" not in acc.facts:
        if acc.put("requests_per_day", round(average.value * 86400), average.quote):
            acc.notes["day_from_average"] = average.quote  # a daily volume stated later replaces it


def _put_users(acc: Reading, clause: _Clause, match: re.Match[str]) -> None:
    group = "n" if match.group("n") else "n2"
    if not acc.free(clause.span(match, group)):
        return
    if acc.put("users", int(parse_number(match.group(group))), acc.quote(*clause.span(match))):
        acc.use(clause.span(match, group))


def _users(acc: Reading, clause: _Clause) -> None:
    for match in _USERS.finditer(clause.text):
        if _DELTA.search(match.group(0)) or _SUPERLATIVE.search(match.group(0)):
            continue  # "500 more users" is growth; "our 2 largest customers" is not a user count
        if not _team_context(clause, match):
            _put_users(acc, clause, match)


# --------------------------------------------------------------------------- team

_TEAM_NOUN = r"(?:(?:ml|ai|data|software|backend|platform|mlops|full[- ]stack|devops|research|nlp|infra)\s+)*(?:engineers?|scientists?|developers?|devs?|researchers?|people|persons?|ds|mles?|swes?|sres?)"
_TEAM = [
    _rx(
        rf"\bteam\s+(?:(?:is|has|now|shrank|shrunk|grew|grown|went|down|up|will|be|size)\s+){{0,3}}(?:of|is|has|with|to|at|:)?\s*"
        rf"(?:just\s+|only\s+)?(?P<n>{_ANY})(?:\s+{_TEAM_NOUN})?"
    ),
    _rx(rf"\b(?:(?:there are|we are|we're)\s+(?:only\s+|just\s+)?)?(?:the\s+|all\s+)?(?P<n>{_ANY})\s+of us\b"),
    _rx(rf"(?P<n>{_ANY})[- ](?:person|people|member|strong)\s+(?:team|startup|company|shop|org\w*|group|lab)\b"),
    _rx(rf"(?P<n>{_ANY})\s+{_TEAM_NOUN}\b(?:\s+(?:and|\+|&)\s+(?P<m>{_ANY})\s+{_TEAM_NOUN}\b)?"),
]
_SOLO = _rx(
    r"\b(?:solo (?:developer|dev|engineer|founder|data scientist)|just me|only me|one-person|one person (?:team|shop)|"
    r"i'm the only (?:engineer|developer|one)|i am the only (?:engineer|developer|one)|single developer|by myself|"
    r"my (?:own |personal |side[- ]?|hobby |pet )project|my kaggle|solo project|kaggle-style solo|"
    # a student's work: "student here", "I'm a master's student", "so my prof doesn't rip it apart"
    r"student here|(?:i'm|i am|as)\s+an?\s+(?:[\w']+\s+)?student|"
    r"my (?:(?:master'?s|bachelor'?s|phd|msc|bsc|doctoral|final[- ]year)\s+)?(?:thesis|dissertation|coursework|prof|professor|supervisor))\b"
)
_PRACTITIONERS = _rx(r"\b(?:(?:data|research|applied|ml|ai)\s+scientists?|researchers?|ml\s+engineers?|mles?|ds)\b")
_TEAM_CUE = _rx(r"\b(?:we|we're|we are|our|team|us|of us|staff\w*|maintain\w*|build\w*|only|just|have|has)\b")
_FOR_BEFORE = _rx(r"\b(?:for|by|serv\w*|support\w*|help\w*|to|across)\s+(?:\w+\s+)?[~≈]?\s*$")


def _team_context(clause: _Clause, match: re.Match[str]) -> bool:
    """An engineer/developer count that describes the team, not the users."""
    noun = (match.groupdict().get("unoun") or "").lower()
    if noun not in ("engineers", "developers", "researchers", "people", "sres"):
        return False
    count = parse_number(match.group("n"))
    if _FOR_BEFORE.search(clause.text[: match.start()]) or count > 50:
        return False
    return bool(_TEAM_CUE.search(clause.text)) or noun != "people"


_SMALL_TEAM = _rx(r"\b(?:(?:a|our|we are a|we're a)\s+)?(?:small|tiny|lean)\s+(?:data\s+|ml\s+|engineering\s+)?team\b")
SMALL_TEAM_SIZE = 3  # "a small team": the most a design for one should ask to operate


def _team(acc: Reading, clause: _Clause) -> None:
    solo = _SOLO.search(clause.text)
    if solo:
        acc.put("team_size", 1, acc.quote(*clause.span(solo)))
        return
    small = _SMALL_TEAM.search(clause.text)
    if small and not any(p.search(clause.text) for p in _TEAM):
        acc.put("team_size", SMALL_TEAM_SIZE, acc.quote(*clause.span(small)))
        return
    for index, pattern in enumerate(_TEAM):
        for match in _free_matches(acc, clause, pattern):
            if index == 3 and (parse_number(match.group("n")) > 50 or (
                    _FOR_BEFORE.search(clause.text[: match.start()]) and not _PRACTITIONERS.search(match.group(0)))):
                continue  # "for 400 developers" are users; "for 25 data scientists" of an ML tool are its team
            size = parse_number(match.group("n"))
            if index == 1 and size < 2:
                continue  # "one of us is on call" says nothing of the team's size
            if match.groupdict().get("m"):
                size += parse_number(match.group("m"))
                acc.use(clause.span(match, "m"))
            if "team_size" in acc.facts:
                _extend_team(acc, clause, match, int(size))
            elif acc.put("team_size", int(size), acc.quote(*clause.span(match))):
                acc.use(clause.span(match, "n"))
            return


def _extend_team(acc: Reading, clause: _Clause, match: re.Match[str], size: int) -> None:
    """"Team: 6 DS, 2 MLEs": a list item right after the team count adds to it."""
    previous = _previous_clause(acc, clause)
    fact = acc.facts["team_size"]
    if previous is None or clause.text.strip(" .") != match.group(0).strip():
        return
    start = acc.text.rfind(fact.quote, previous.start, previous.start + len(previous.text))
    if start < 0:
        return
    acc.put("team_size", fact.value + size, acc.quote(start, clause.span(match)[1]), replace=True)
    acc.use(clause.span(match, "n"))


# --------------------------------------------------------------------------- corpus

_CORPUS_UNITS = {
    "documents": "documents", "document": "documents", "docs": "documents", "pdfs": "documents",
    "pdf files": "documents", "pdf documents": "documents", "word documents": "documents",
    "pages": "pages", "web pages": "pages", "webpages": "pages", "wiki pages": "pages",
    "notes": "notes", "tickets": "tickets", "files": "files", "emails": "emails", "e-mails": "emails",
    "articles": "articles", "contracts": "contracts", "manuals": "manuals", "transcripts": "transcripts",
    "reports": "reports", "papers": "papers", "records": "records", "rows": "rows", "images": "images",
    "conversations": "conversations", "chunks": "chunks", "books": "books", "policies": "policies",
    "faqs": "faqs", "slides": "slides", "decks": "slides", "patents": "patents", "invoices": "invoices",
    "forms": "forms", "cases": "cases", "products": "products", "items": "items", "listings": "listings",
    "skus": "products", "videos": "videos", "recordings": "recordings", "messages": "messages",
    "chats": "conversations", "threads": "threads", "posts": "posts", "reviews": "reviews",
    "drawings": "drawings", "specs": "documents", "specifications": "documents", "sops": "documents",
    "procedures": "documents", "guidelines": "documents", "standards": "documents", "datasheets": "documents",
    "regulations": "documents", "judgments": "documents", "rulings": "documents", "filings": "documents",
    "letters": "documents", "memos": "documents", "ndas": "contracts", "agreements": "contracts",
    "leases": "contracts", "claims": "documents", "resumes": "documents", "cvs": "documents", "receipts": "documents",
    "protocols": "documents", "handbooks": "documents", "guides": "documents", "playbooks": "documents",
    "runbooks": "documents", "bulletins": "documents", "brochures": "documents", "leaflets": "documents",
    "textbooks": "books", "chapters": "documents", "statutes": "documents", "bylaws": "documents",
    "dossiers": "documents", "monographs": "documents", "instructions": "documents", "work instructions": "documents",
    "proposals": "documents", "tenders": "documents", "briefs": "documents",
    "notices": "documents", "circulars": "documents", "titles": "books", "lectures": "documents", "theses": "documents",
    "task cards": "documents", "job cards": "documents", "work cards": "documents", "work orders": "records",
    "judgements": "documents",
}
_CORPUS_NOUN = "|".join(sorted((re.escape(k) for k in _CORPUS_UNITS), key=len, reverse=True))
_CORPUS = _rx(
    rf"(?P<n>{_NUM})\s+(?:(?!per\b|a\b|an\b|of\b|to\b|and\b|or\b|in\b|for\b|with\b|from\b)[a-z~&'][\w&'-]*\s+){{0,3}}?"
    rf"(?P<noun>{_CORPUS_NOUN})\b(?!{_PERIOD})"
)


# "approx 5.000 documents", "our 3.000 employees" in an English request: a count of whole things with a
# dot before three digits is a thousands separator (nobody has 5.0 documents)
_COUNTED = (rf"(?:{_CORPUS_NOUN}|users|employees|customers|members|students|staff|agents|patients|clients|requests|queries|"
            r"questions|calls|messages|rows|records|events|transactions|predictions|skus|stores|branches|shops|devices|sensors)")
# "8 000 documents", "2 000 €", "1 200 requests": thousands grouped by a space (French, German, Nordic and SI
# style), read as "8,000"; the same length, so spans stay aligned with the original text
_THOUSANDS_SPACED = _rx(r"(?<![\w.,])[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?![\w-]|[.,]\d)")
_THOUSANDS_APOSTROPHE = _rx(r"(?<![\w.,'’])[1-9]\d{0,2}(?:['’]\d{3})+(?![\w'’-]|[.,]\d)")  # Swiss: "25'000"
_THOUSANDS_BEFORE_COUNT = _rx(rf"(?<![\d.,])[1-9]\d{{0,2}}\.\d{{3}}(?!\d|[.,]\d)(?:(?=\s+(?:[a-z~][\w-]*\s+){{0,2}}?{_COUNTED}\b)"
                              r"|(?=\s?(?:€|eur\b|euros?\b)))")  # "4.000 € al mes": euros are grouped by dots


_DELTA = _rx(r"\b(?:new|more|additional|extra|incoming|fresh)\b")
# "every night we embed 200k new tickets": new items per batch run.
_BATCH_NEW = _rx(
    rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?:new|incoming|additional|fresh)\s+(?:[a-z][\w-]*\s+){{0,2}}?(?P<noun>{_CORPUS_NOUN})\b"
)


def _corpus(acc: Reading, clause: _Clause) -> None:
    for match in _free_matches(acc, clause, _CORPUS):
        if _DELTA.search(match.group(0)):
            continue  # "500k more documents" is growth, not the corpus
        unit = _CORPUS_UNITS[" ".join(match.group("noun").lower().split())]
        quantity = Quantity(amount=parse_number(match.group("n")), unit=unit)
        if acc.put("corpus", quantity, acc.quote(*clause.span(match))):
            acc.use(clause.span(match, "n"))
        return


_PROCESSING = _rx(
    r"\b(?:classif\w*|scor\w*|label\w*|summari[sz]\w*|translat\w*|tag\w*|rout\w*|moderat\w*|extract\w*|"
    r"triag\w*|answer\w*|handl\w*|process\w*|review\w*|transcrib\w*|categori[sz]\w*|receiv\w*|"
    # the same in the other languages read: "jede bearbeitet etwa 600 Schadensmeldungen pro Tag", "cada una recibe ..."
    r"bearbeit\w*|verarbeit\w*|erhält|erhalten|traite\w*|reçoi\w*|recib\w*|tramit\w*|gestion\w*|gestisc\w*|ricev\w*|"
    r"elabor\w*|receb\w*|process[ae]\w*|behandel\w*|verwerk\w*|ontvang\w*)\b"
)
_ITEMS_RATE = _rx(rf"(?P<n>{_NUM})\s+(?:[a-z][\w-]*\s+){{0,2}}?(?P<noun>{_CORPUS_NOUN}){_PERIOD}")


def _items_handled(acc: Reading, clause: _Clause) -> None:
    """"Classify ~1k incoming emails/day": the items a system handles per period are its load."""
    if not _PROCESSING.search(clause.text):
        return
    for match in _free_matches(acc, clause, _ITEMS_RATE):
        _one_rate(acc, clause, match)
        return


# --------------------------------------------------------------------------- A/B tests

_EXPERIMENT_CUE = _rx(r"\b(?:a/b|ab test\w*|a-b test\w*|split test\w*|experiment\w*|mde|minimum detectable|detect|statistical\w*|power|significan\w*|ctr|conversion)\b")
_PERCENT = rf"(?P<n>{_NUM})\s?(?:%|percent\b)"
_BASELINE = [
    _rx(rf"\b(?:baseline|current|existing|today's|our)\s+(?:[a-z-]+\s+){{0,2}}?(?:ctr|conversion(?: rate)?|click[- ]through(?: rate)?|cvr|rate)\s*(?:is|of|at|=|:|≈)?\s*(?:currently\s+|about\s+|around\s+|roughly\s+|~\s*)?{_PERCENT}"),
    _rx(rf"\b(?:ctr|conversion rate|click[- ]through rate|cvr)\s+(?:is|of|at|=|:|≈|sits at|around)\s*(?:currently\s+|about\s+|around\s+|roughly\s+|~\s*)?{_PERCENT}"),
    _rx(rf"{_PERCENT}\s+(?:baseline\s+)?(?:ctr|conversion rate|click[- ]through rate|cvr)\b"),
    _rx(rf"\b(?:[a-z-]+\s+)?(?:rate\s+)?baseline\s+(?:(?:is|of|at|=|:|≈|around|about)\s*)?(?:about\s+|around\s+|roughly\s+|~\s*)?{_PERCENT}"),
]
_MDE = [
    _rx(rf"\b(?:detect|mde|minimum detectable effect|lift|uplift)\b[^,;.]{{0,30}}?{_PERCENT}(?:\s+(?P<rel>relative|absolute))?"),
    _rx(rf"{_PERCENT}\s+(?P<rel>relative\s+|absolute\s+)?(?:[a-z]+\s+)?(?:lift|uplift|change|improvement|increase|difference|effect|drop)\b"),
]
_POINTS = _rx(rf"(?P<n>{_NUM})\s?(?:percentage points?|pp|pts|points)\b")
# the share of traffic a test runs on: "an A/B test on 5% of traffic", "10% of users see the new ranker"
_TEST_SHARE = _rx(rf"{_PERCENT}\s+(?:of\s+)?(?:(?:the|our|all|live|user|production|search|web|mobile)\s+)*"
                  r"(?:traffic|users|requests|sessions|visitors|customers|queries|searches)\b")


def _experiment(acc: Reading, clause: _Clause) -> None:
    if not _EXPERIMENT_CUE.search(acc.low):
        return
    for pattern in _BASELINE:
        for match in _free_matches(acc, clause, pattern):
            if acc.put("baseline_rate", parse_number(match.group("n")) / 100, acc.quote(*clause.span(match))):
                acc.use(clause.span(match, "n"))
    for match in _free_matches(acc, clause, _TEST_SHARE):
        if 0 < parse_number(match.group("n")) < 100 and acc.put(
                "experiment_share", parse_number(match.group("n")) / 100, acc.quote(*clause.span(match))):
            acc.use(clause.span(match, "n"))
    for pattern in _MDE:
        for match in _free_matches(acc, clause, pattern):
            if acc.put("min_detectable_effect", parse_number(match.group("n")) / 100, acc.quote(*clause.span(match))):
                acc.use(clause.span(match, "n"))
                if (match.groupdict().get("rel") or "").strip().lower() == "absolute":
                    acc.notes["points"] = "absolute"


def _experiment_points(acc: Reading, clause: _Clause) -> None:
    """"2 percentage points": absolute; made relative when the baseline is stated."""
    if not _EXPERIMENT_CUE.search(acc.low):
        return
    for match in _free_matches(acc, clause, _POINTS):
        if acc.put("min_detectable_effect", parse_number(match.group("n")) / 100, acc.quote(*clause.span(match))):
            acc.use(clause.span(match, "n"))
            acc.notes["points"] = "points"


def _relative_effect(acc: Reading) -> None:
    if "points" not in acc.notes:
        return
    baseline, effect = acc.facts.get("baseline_rate"), acc.facts["min_detectable_effect"]
    if baseline is not None and baseline.value > 0:
        acc.facts["min_detectable_effect"] = Fact.said(round(effect.value / baseline.value, 6), effect.quote)


# --------------------------------------------------------------------------- rare classes

# the class a model must find, when it is rare: "defects are rare (~0.3% of panels)", "fraud is 0.1% of
# transactions", "about 1 in 500 claims is fraudulent", "a positive rate of 2%"
_RARE = r"(?:defect\w*|fraud\w*|positives?|anomal\w*|churn\w*|failures?|faults?|faulty|incidents?|outliers?|" \
        r"rare(?:ly)?|minority class|prevalence|imbalance\w*|spam|abusive|malicious|scrap|defaults?|defaulted|positive rate)"
_RARE_RATE = [
    _rx(rf"\b{_RARE}\b,?[^,;.%]{{0,40}}?(?<![\w.])(?:~\s*|about\s+|around\s+|roughly\s+|only\s+|under\s+|below\s+)?{_PERCENT}"),
    _rx(rf"(?<![\w.]){_PERCENT}\s+(?:of\s+(?:all\s+|the\s+|our\s+)?(?:[a-z-]+\s+){{0,2}}?(?:are|is|were|get|turn out)\s+"
        rf"(?:[a-z]+\s+)?)?{_RARE}"),
    _rx(rf"\b(?:1|one)\s+(?:in|out of)\s+(?P<d>{_NUM})\b[^,;.]{{0,40}}?\b{_RARE}"),
    _rx(rf"\b{_RARE}\b[^,;.]{{0,40}}?\b(?:1|one)\s+(?:in|out of)\s+(?P<d>{_NUM})\b"),
]
# "cut fraud losses by 10%", "a 5% lift": a change, not a share of the items
_RATE_CHANGE = _rx(r"\b(?:by|to|lift|uplift|reduc\w*|cut\w*|increas\w*|drop\w*|improv\w*|lower\w*|halv\w*)\s*$")


def _positive_rate(acc: Reading) -> None:
    """The share of items in the rare class the model must find (defects, fraud, churners), at most 20%.
    Read over the whole text: "defects are rare (~0.3% of panels)" spans a bracket."""
    for pattern in _RARE_RATE:
        for match in pattern.finditer(acc.low):
            group = "d" if match.groupdict().get("d") else "n"
            if not acc.free(match.span(group)) or _RATE_CHANGE.search(acc.low[:match.start(group)][-25:]):
                continue
            number = parse_number(match.group(group))
            rate = 1 / number if group == "d" and number > 1 else number / 100
            if 0 < rate <= 0.2 and acc.put("positive_rate", round(rate, 6), acc.quote(*match.span())):
                acc.use(match.span() if group == "d" else match.span(group))
                return


# --------------------------------------------------------------------------- many models

# "300 small per-store forecasting models", "one model per store ... our 450 stores",
# "a separate model for each of our 1,200 customers"
_MODEL_COUNT = _rx(rf"(?<![\w.$€£])(?P<n>{_NUM})\+?\s+(?:[\w-]+\s+){{0,3}}?models\b")  # "150+ credit-risk models"
_MODEL_PER = _rx(r"\b(?:one|a|1|separate|individual|its own|their own|dedicated)\s+(?:[\w-]+\s+){0,2}?models?\s+"
                 r"(?:per|for each|for every|for every single)\s+(?P<u>[a-z]{3,}?)(?:e?s)?\b")
_MODEL_EACH_OF = _rx(rf"\bmodels?\s+(?:per|for each of|for every one of|for all)\s+(?:our\s+|the\s+|its\s+)?(?P<n>{_NUM})\s+[a-z]+")


def _model_count(acc: Reading) -> None:
    """How many models the system holds when it is many (one per store, per customer, per SKU).
    A count some other fact already read ("retrain 3,000 models every week": runs) is read too."""
    taken = " ".join(str(f.quote).lower() for f in acc.facts.values() if isinstance(f, Fact) and f.quote)

    def take(match: re.Match[str], span: tuple[int, int], *, shared: bool = False) -> bool:
        """``shared``: the count may be another fact too ("one model per store ... 450 stores" are 450 users)."""
        count = parse_number(match.group("n"))
        if not 2 <= count <= 1_000_000 or not (shared or acc.free(span) or match.group(0) in taken):
            return False
        if acc.put("model_count", int(count), acc.quote(*match.span())) and acc.free(span):
            acc.use(span)
        return True

    for match in _MODEL_EACH_OF.finditer(acc.low):
        if take(match, match.span("n"), shared=True):
            return
    for match in _MODEL_COUNT.finditer(acc.low):
        if take(match, match.span("n")):
            return
    per = _MODEL_PER.search(acc.low)
    if per:  # "one model per store" with "450 stores" said elsewhere
        unit = re.escape(per.group("u"))
        for match in _rx(rf"(?<![\w.$€£])(?P<n>{_NUM})\s+(?:[\w-]+\s+){{0,2}}?{unit}(?:e?s)?\b").finditer(acc.low):
            if take(match, match.span("n"), shared=True):
                return


# --------------------------------------------------------------------------- models

_FAMILY_WORDS = r"llama|mistral|mixtral|qwen|gemma|phi-?\d|falcon|deepseek|olmo|yi|granite|command[- ]r"
_PARAMS = [
    _rx(rf"\b(?:{_FAMILY_WORDS})(?:[\s-]*\d+(?:\.\d+)?)?[\s-]+(?P<n>\d+(?:\.\d+)?)\s?b\b"),
    _rx(r"(?<![\w.$€£])(?P<n>\d+(?:\.\d+)?)\s?b(?:[\s-]+(?:parameters?|params?|model|llm|instruct|chat|base))\b"),
    # "our 7B support model": a word or two naming its job in between, not a unit ("2B rows")
    _rx(r"(?<![\w.$€£])(?P<n>\d+(?:\.\d+)?)\s?b[\s-]+(?!(?:rows?|records?|tokens?|events?|documents?|docs|requests?|users?|"
        r"parameters?|params?|images?|pages?|items?|vectors?|embeddings?|samples?|examples?|predictions?|calls?|queries|"
        r"dollars?|usd|eur|bytes?)\b)(?:[a-z]+[\s-]+){1,2}?(?:model|llm)\b"),
    _rx(r"(?<![\w.$€£])(?P<n>\d+(?:\.\d+)?)[\s-]billion[\s-]param\w*"),
    _rx(rf"(?<![\w.$€£])(?P<n>\d+(?:\.\d+)?)\s?b[\s-]+(?:{_FAMILY_WORDS})\b"),
    _rx(r"(?<![\w.$€£])(?P<n>\d+(?:\.\d+)?)b(?=\s*(?:$|[,.;)?!]|\s(?:or|and|is|would|should|model)\b))"),
]
_FAMILIES = [
    ("xgboost", r"xgboost"), ("lightgbm", r"lightgbm|light gbm"), ("catboost", r"catboost"),
    ("random forest", r"random forests?"), ("logistic regression", r"logistic regression"),
    ("linear regression", r"linear regression"), ("gradient boosting", r"gradient[- ]boost\w*|gbdt|gbm"),
    ("llama", r"llama"), ("mixtral", r"mixtral"), ("mistral", r"mistral"), ("qwen", r"qwen"),
    ("gemma", r"gemma"), ("phi", r"phi-?\d"), ("falcon", r"falcon"), ("deepseek", r"deepseek"),
    ("distilbert", r"distilbert"), ("roberta", r"roberta"), ("bert", r"bert"), ("t5", r"t5|flan-t5"),
    ("gpt", r"gpt(?:-?\d[\w.]*)?|chatgpt"), ("claude", r"claude"), ("gemini", r"gemini"),
    ("two-tower", r"two[- ]tower"), ("yolo", r"yolo(?:v\d+)?"), ("resnet", r"resnet"), ("efficientnet", r"efficientnet"),
    ("prophet", r"prophet"),
]
_FAMILY = _rx(r"\b(?:" + "|".join(f"(?P<f{i}>{p})" for i, (_, p) in enumerate(_FAMILIES)) + r")(?:\d[\d.]*)?\b")
_LLM_WORDS = _rx(
    r"\b(?:llms?|large language models?|gpt[\w.-]*|chatgpt|llama|mistral|mixtral|qwen|gemma|claude|gemini|openai|"
    r"anthropic|rag|retrieval[- ]augmented|chat ?bots?|copilots?|prompts?|prompting|generative|gen ?ai|"
    # an assistant that answers (not a person's job title), SQL written from a question
    r"(?<!research )(?<!teaching )(?<!personal )(?<!lab )(?<!dental )assistants?|text[- ]to[- ]sql|nl2sql|"
    r"summari[sz]\w+|text generation|generate (?:text|answers|summaries|descriptions|responses)|"
    r"code[- ]completion|code assistants?|chat models?|instruct(?:ion)?[- ]tuned|instruct models?|"
    r"\d+(?:\.\d+)?\s?b (?:instruct |chat )?(?:model|parameter|llm)s?)(?:\d[\d.]*)?\b"
)
_CLASSIC_STRONG = _rx(
    r"\b(?:xgboost|lightgbm|catboost|random forests?|logistic regression|linear regression|gradient[- ]boost\w*|"
    r"gbdt|sklearn|scikit-learn|isolation forests?|"
    # said outright: "a classic model (no LLM)", "modelo clásico"
    r"classic(?:al)? (?:ml|machine learning|models?)|traditional (?:ml|machine learning)|non-llm|no\s+llms?(?![\s-]+(?:as\s+(?:an?\s+)?)?(?:judges?|graders?|evaluators?|raters?|scorers?)\b)|not an? llm|"
    # "modelo clásico", "ML classico", "ML classique" (a glossed word is padded: "nessun LLM" reads "no     llm")
    r"modelos? cl[aá]sicos?|ml\s+cl[aá]s{1,2}i(?:c|qu)\w*)\b"
)
_CLASSIC_WEAK = _rx(
    r"\b(?:rankers?|ranking models?|learning[- ]to[- ]rank|tabular|"
    r"(?:ctr|churn|fraud|propensity|credit|risk|demand|forecast\w*|scoring|recommendation|recommender|pricing|"
    r"anomaly[- ]detection|detection|vision|image|time[- ]series|regression|uplift|survival|"
    r"segmentation|sentiment|intent|tabular|ml)\s+(?:[\w-]+\s+)?models?|"
    r"forecasting|classifiers?|image classification|object detection|computer vision|cnns?|resnet\w*|yolo\w*|"
    # an encoder that classifies or tags text is no LLM: "intents are classified by a DistilBERT model"
    r"(?:distil)?bert|roberta|deberta|electra|setfit|(?:intent|text|document) classification|classified by|"
    r"two[- ]tower|dcn(?:-v2)?|tensorflow|keras|time[- ]series|recommender systems?|recsys|"
    r"anomaly detection|demand forecast\w*|random forest|decision trees?|svm|prophet|arima|"
    # the task alone, when nothing names an LLM: "scores card transactions for fraud"
    r"fraud|churn|credit[- ]risk|credit scor\w*|propensity|click[- ]?through|ctr|lead scoring|default risk|forecast\w*|"
    r"(?:card|payment) transactions|recommenders?)\b"
)


def _model(acc: Reading) -> None:
    for clause in acc.clauses:
        if "model_params_b" in acc.facts:
            break
        for pattern in _PARAMS:
            match = pattern.search(clause.text)
            if match and acc.free(clause.span(match, "n")):
                acc.put("model_params_b", float(match.group("n")), acc.quote(*clause.span(match)))
                acc.use(clause.span(match))
                break
    family = _FAMILY.search(acc.low)
    if family:
        name = next(_FAMILIES[i][0] for i in range(len(_FAMILIES)) if family.group(f"f{i}"))
        acc.put("model_family", name, acc.quote(*family.span()))
    _model_kind(acc)
    _fine_tuning(acc)
    _prediction(acc)
    _slices(acc)


def _first_affirmed(acc: Reading, pattern: re.Pattern[str]) -> re.Match[str] | None:
    found = _first_positive(acc, pattern, negation=_NEGATION)
    if found is None:
        return None
    clause, match = found
    return pattern.search(acc.low, clause.start + match.start())


# training that changes weights: "fine-tune Llama", "LoRA adapters", "our training runs" (prompt and
# settings experiments on a hosted model train nothing)
_WEIGHTS_TRAINED = _rx(
    r"\b(?:fine[- ]?tun\w*|(?:re|pre)?train(?:s|ed|ing)?\b(?!\s+(?:data|sets?|examples|tables?|features?|rows|labels|"
    r"corpus|snapshots?|pipelines?))|lora|qlora|adapters?|"
    r"checkpoints?|epochs?|gpu[- ]hours|distil\w*|rlhf|dpo|sft)\b"
)


# what a classic model predicts: a quantity ("predicting delivery time", "price forecast", "ETA"),
# an order ("ranks listings", "recommendations") or, by default, a class
_REGRESSION = _rx(
    r"\b(?:(?<!logistic )(?<!logit )regression|eta|forecast\w*|predict\w*\s+(?:the\s+)?(?:\w+\s+)?(?:time|duration|price|prices|demand|sales|revenue|"
    r"volume|amount|cost|load|consumption|yield|temperature|value|count|number|quantity|delay|lifetime value|ltv|severity)|"
    r"(?:time|duration|price|demand|sales|revenue|load|delay)\s+(?:prediction|estimation|estimate)s?|"
    r"how (?:long|much|many)|mae|rmse|mape)\b")
_DETECTION = _rx(r"\b(?:yolo\w*|object detection|detectron\w*|mask r-?cnn|bounding box(?:es)?|instance segmentation|"
                 r"semantic segmentation|segmentation masks?|defect detection|visual inspection|"
                 r"(?:detects?|detecting|flags?|flagging|finds?|spots?)\s+(?:\w+\s+){0,3}?(?:scratches|dents|cracks|defects|objects|"
                 r"weeds|pests|vehicles|pedestrians|people|faces|lesions|tumou?rs|fractures))\b")
_RANKING = _rx(r"\b(?:rank\w*|recommend\w*|recsys|learning[- ]to[- ]rank|ltr|click[- ]?through|ctr|search results|feed)\b")
# the dimensions results are broken down by: "error by depot, by weekday", "per hospital", "for each market"
_SLICE = _rx(
    r"\b(?:by|per|for each|for every|across|broken down by|split by|sliced by)[\s-]+(?:each\s+|every\s+)?"
    r"(?P<s>(?!(?:the|a|an|our|their|day|week|month|hour|minute|second|year|request|query|call|token|run|default|"
    r"far|hand|then|now|email|design|itself|far|law|mistake|the\s)\b)[a-z][a-z-]{2,})\b")
_SLICE_CONTEXT = _rx(r"\b(?:errors?|accuracy|metrics?|performance|results?|scores?|evaluat\w*|breakdowns?|sliced?|"
                     r"precision|recall|recall@|mae|rmse|quality|how often|wrong|bias|drift|fairness)\b")


def _prediction(acc: Reading) -> None:
    kind = acc.facts.get("model_kind")
    if kind is None or kind.value != "classic_ml":
        return
    ranking, regression = _first_affirmed(acc, _RANKING), _first_affirmed(acc, _REGRESSION)
    detection = _first_affirmed(acc, _DETECTION)
    if detection:
        acc.put("prediction", "detection", acc.quote(*detection.span()))
    elif regression and not (ranking and ranking.start() < regression.start()):
        acc.put("prediction", "regression", acc.quote(*regression.span()))
    elif ranking:
        acc.put("prediction", "ranking", acc.quote(*ranking.span()))


def _slices(acc: Reading) -> None:
    """Dimensions named after "by"/"per" near a word about results ("error by depot, by weekday")."""
    found = acc.lists.setdefault("slices", [])
    for match in _SLICE.finditer(acc.low):
        word = match.group("s")
        near = acc.low[max(0, match.start() - 80):match.start()]
        if _SLICE_CONTEXT.search(near) and all(f.value != word for f in found) and len(found) < 5:
            found.append(Fact.said(word, acc.quote(*match.span())))


_CONCURRENCY = _rx(
    rf"(?P<n>{_NUM})\s+(?:simultaneous|concurrent|parallel)\s+(?:[a-z]+\s+)?(?:requests|users|sessions|streams|calls|conversations|chats|"
    rf"generations|sequences)\b|\b(?:concurrency|in[- ]flight requests?)\s+(?:of\s+|up\s+to\s+|=\s*|:\s*)?(?P<n2>{_NUM})\b")


def _concurrency(acc: Reading, clause: _Clause) -> None:
    for match in _CONCURRENCY.finditer(clause.text):
        group = "n" if match.group("n") else "n2"
        if acc.free(clause.span(match, group)):
            acc.put("concurrency", int(parse_number(match.group(group))), acc.quote(*clause.span(match)))
            return  # the number stays free: "200 concurrent users" are users too


def _fine_tuning(acc: Reading) -> None:
    found = _first_affirmed(acc, _WEIGHTS_TRAINED)
    if found:
        acc.put("fine_tuning", True, acc.quote(*found.span()))


def _model_kind(acc: Reading) -> None:
    llm, strong, weak = (_first_affirmed(acc, p) for p in (_LLM_WORDS, _CLASSIC_STRONG, _CLASSIC_WEAK))
    params = acc.facts.get("model_params_b")
    if strong and (llm is None or strong.start() < llm.start()):
        acc.put("model_kind", "classic_ml", acc.quote(*strong.span()))
    elif llm:
        acc.put("model_kind", "llm", acc.quote(*llm.span()))
    elif params is not None:
        acc.put("model_kind", "llm", params.quote)
    elif weak:
        acc.put("model_kind", "classic_ml", acc.quote(*weak.span()))


# --------------------------------------------------------------------------- where it runs

_AIR_GAPPED = _rx(
    r"\b(?:air[- ]?gap(?:ped)?|no (?:internet|network|connectivity|outbound (?:internet|network|traffic))(?: access| connection)?|"
    r"without (?:an? )?(?:internet|network)(?: access| connection)?|"
    r"(?:fully )?offline (?:environment|network|site)|disconnected network)\b"
)
_SINGLE_MACHINE = _rx(
    r"\b(?:on (?:my|a|one|our|the|his|her)\s+(?:[\w-]+\s+){0,3}?(?:laptop|macbook|workstation|desktop|pc|notebook|thinkpad|"
    r"chromebook|surface(?: pro| laptop)?|xps|zenbook|raspberry pi)|"
    r"(?:a |one )?single[- ](?:[\w-]+[- ]){0,2}?(?:machine|server|box|node|vm|host|gpu server|workstation|device)|"
    r"one (?:machine|server|box|node|vm)|my laptop|a laptop|laptops? only|(?:on|from)\s+(?:our|their)\s+(?:own\s+)?laptops|"
    r"(?:only|just|nur|solo|seulement|apenas|alleen)\s+(?:(?:our|their|my)\s+)?laptops?|(?:one|a|my|our|single)\s+(?:[\w-]+\s+){0,2}?workstation|"
    r"(?:one|a|my|our|single|the)\s+(?:[\w-]+\s+)?(?:mac ?studio|mac ?mini|mac ?pro|imac|dgx ?(?:spark|station)|nuc|gaming pc)|"
    r"(?:my (?:own )?|(?:on )?(?:a|one) single )(?:rtx|gtx) ?\d{4}|mini[- ]pc|intel nuc|basement|home ?lab|home server|"
    r"(?:one|a|an|1x?|single)\s+(?:[\w-]+\s+){1,3}?(?:box|rig)|"
    r"(?:one|a|my|our)\s+(?:[\w-]+\s+){0,2}?(?:windows|linux|ubuntu)\s+(?:pc|machine|box|desktop))\b"
)
# one small device is one machine; a fleet of them is not ("300 Jetson boxes", "on each tractor")
_ONE_DEVICE = _rx(r"\b(?:raspberry ?pi(?: \d)?|jetson(?: (?:nano|orin|xavier))?|on[- ]device|on the device|edge device)\b")
_MANY_DEVICES = _rx(
    r"\b(?:fleets?|each|every|per (?:device|site|store|vehicle|robot)|all (?:the |our )?(?:devices|sites|stores|robots|vehicles)|"
    r"raspberry ?pis|jetsons|edge devices|(?:devices|robots|drones|cameras|vehicles|kiosks|boxes|gateways|terminals|tablets|phones)\b|"
    r"(?:\d[\d,]*|dozens|hundreds|thousands)\s+(?:[\w-]+\s+){0,3}?(?:devices|units|boxes|robots|drones|cameras|pis|jetsons|"
    r"tractors|vehicles|trucks|stores|shops|sites|factories|plants|kiosks|machines|sensors))"
)
_ON_PREM = _rx(
    r"\b(?:on[- ]?prem(?:ise|ises)?s?|on premises?|(?:our|their|the client's|own)\s+(?:own\s+)?(?:[a-z]+\s+)?"
    r"(?:data[- ]?cent(?:er|re)s?|dc|servers?|hardware|infrastructure|racks?)|in[- ]house (?:servers?|hardware|infrastructure)|"
    r"bare[- ]metal|private cloud|no\s+(?:public\s+)?cloud|(?:can't|cannot|can not|not allowed to|must not|mustn't) use (?:the |a |any )?(?:public )?cloud)\b"
)
_SELF_HOSTED = _rx(r"\bself[- ]hosted\b")
# GPUs the team has (not rents from a named cloud): its own servers
_OWN_GPUS = _rx(
    rf"\b(?:we (?:have|own|bought)|we've got|our(?: own)?|in-house|on[- ]site)\s+(?:(?:exactly|only|just|about|around|roughly)\s+)?"
    rf"(?:(?:{_WNUM}|\d+)\s*(?:x\s*)?)?"
    r"(?:nvidia\s+)?(?:[ahlt]\d{2,3}g?s?|h100s?|h200s?|rtx ?\d{4}s?|gpus?|gpu servers?)\b"
)
_PROVIDERS = [("aws", r"aws|amazon web services"), ("gcp", r"gcp|google cloud(?: platform)?"), ("azure", r"azure")]
_PROVIDER = _rx(r"\b(?:" + "|".join(f"(?P<{name}>{p})" for name, p in _PROVIDERS) + r")\b")
_GENERIC_CLOUD = _rx(r"\b(?:in the cloud|cloud[- ]based|cloud[- ]native|on the cloud|public cloud|managed cloud services)\b")
_OFF_NEGATION = _rx(r"\b(?:not|no longer|don't|do not|doesn't|does not|never)\b(?![^,;.]*\bleave\b)[^,;.]{0,25}$")


def _first_positive(acc: Reading, pattern: re.Pattern[str], *, negation: re.Pattern[str]) -> tuple[_Clause, re.Match[str]] | None:
    if not pattern.search(acc.low):
        return None
    for clause in acc.clauses:
        for match in pattern.finditer(clause.text):
            if not negation.search(clause.text[max(0, match.start() - 30) : match.start()]):
                return clause, match
    return None


_ONLY_AFTER = _rx(r"(?:\s+(?:native |managed )?(?:services|stack|tools|products))?[\s-]*only\b|\s+(?:and nothing else|exclusively)\b")
_ONLY_BEFORE = _rx(r"\b(?:only|exclusively|solely|everything (?:we (?:run|have|build) )?(?:runs?|must run|has to run|stays?|is|lives) (?:on|in)|"
                   # "our whole stack is on Google Cloud", "we're all-in on AWS"
                   r"(?:whole|entire|full|complete)\s+(?:\w+\s+)?(?:stack|infrastructure|infra|platform|estate)\s+(?:is|lives|runs|sits)\s+(?:on|in)|"
                   r"all[- ]in (?:on|with))\s+(?:on\s+|in\s+|use\s+)?(?:the\s+)?$")


def _deployment(acc: Reading) -> None:
    provider = _first_positive(acc, _PROVIDER, negation=_NEGATION)
    if provider:
        clause, match = provider
        name = next(n for n, _ in _PROVIDERS if match.group(n))
        acc.put("cloud", name, acc.quote(*clause.span(match)))
        only = _ONLY_AFTER.match(clause.text, match.end()) or _ONLY_BEFORE.search(clause.text[: match.start()])
        if only:
            start, end = clause.span(match)
            acc.put("cloud_only", True, acc.quote(min(start, clause.start + only.start()), max(end, clause.start + only.end())))
    air = _first_positive(acc, _AIR_GAPPED, negation=_OFF_NEGATION)
    ranked: list[tuple[str, tuple[_Clause, re.Match[str]] | None]] = [
        # one machine decides more of the design than its network does; "no internet" stays
        # a constraint through ``no_external_apis`` below
        ("single_machine", _first_positive(acc, _SINGLE_MACHINE, negation=_NEGATION)
         or (None if _MANY_DEVICES.search(acc.low) else _first_positive(acc, _ONE_DEVICE, negation=_NEGATION))),
        ("air_gapped", air),
        ("on_prem", _first_positive(acc, _ON_PREM, negation=_OFF_NEGATION)),
        ("cloud", provider or _first_positive(acc, _GENERIC_CLOUD, negation=_NEGATION)),
        ("on_prem", _first_positive(acc, _OWN_GPUS, negation=_NEGATION)),
        ("on_prem", _first_positive(acc, _SELF_HOSTED, negation=_NEGATION)),
    ]
    for value, found in ranked:
        if found:
            clause, match = found
            acc.put("deployment", value, acc.quote(*clause.span(match)))
            break
    if air:
        acc.put("no_external_apis", True, acc.quote(*air[0].span(air[1])))


_NO_EXTERNAL = _rx(
    r"\b(?:no (?:external|third[- ]party|hosted|cloud|public|outside|saas)\s+(?:llm\s+|model\s+|ai\s+)?(?:apis?|services|llms?|models|providers|endpoints)|"
    r"no saas|no (?:openai|anthropic|chatgpt)\b|"
    # it must answer with no connection: "work offline on Android tablets", "funcionar offline en tablets"
    r"(?:works?|run|runs|working|funcionar|fonctionner|funzionare|werken|funktionieren)\s+(?:fully |completely |entirely |100% )?offline\b|"
    # "I'd rather not send our data to OpenAI", "don't want anything going to the cloud"
    r"(?:rather not|prefer not to|(?:do not|don't|doesn't|won't|never) want (?:to )?)\s*(?:send|share|upload|put|have|let|want)?\s*"
    r"(?:[\w-]+\s+){0,3}?(?:going |sent |uploaded |to go )?(?:to|into|in)\s+(?:openai|anthropic|chatgpt|the cloud|a cloud|"
    r"any cloud|an? (?:external|outside|third[- ]party|hosted) \w+)|"
    r"(?:can't|cannot|can not|must not|mustn't|may not|not allowed to|shouldn't|should not|won't|isn't allowed to)\s+"
    r"(?:send|share|upload|pass|use|call)\s+(?:[\w-]+\s+){0,3}?(?:to\s+)?(?:openai|anthropic|chatgpt|gpt|external|third[- ]part\w+|the cloud|outside|hosted)|"
    r"(?:data|it|nothing|phi|pii|documents?|information|records|anything)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:can't|cannot|can not|must not|mustn't|may not|should not|shouldn't|must never|can never|never|is not allowed to|isn't allowed to|won't)\s+"
    r"(?:\w+\s+)?leave\s+(?:our|the|this|their)\s+(?:own\s+)?(?:network|premises|building|data[- ]?cent(?:er|re)|infrastructure|servers?|"
    r"company|environment|vpc|firewall|walls|machine|laptop|systems?|org\w*|perimeter|cluster)|"
    r"nothing\s+(?:can|may|must|should|will|is allowed to)\s+(?:ever\s+)?leave\s+(?:our|the|this|their)\s+(?:own\s+)?"
    r"(?:network|premises|building|data[- ]?cent(?:er|re)|infrastructure|servers?|company|environment|vpc|site|machine|laptop)|"
    r"(?:only|just) (?:self[- ]hosted|local|open[- ]source|open[- ]weights?) (?:models|llms)|"
    r"(?:self[- ]hosted|local|open[- ]source|open[- ]weights?) (?:models|llms) only|"
    r"without (?:any )?(?:external|third[- ]party|hosted) (?:apis?|services)|"
    r"(?:no\s+(?:[\w-]+\s+){0,3}?(?:may|can|must|should|will|is to)|(?:must|may|can|should|will)\s*(?:not|never|n't)|cannot|can't)\s+"
    r"(?:ever\s+)?(?:be\s+(?:sent|shared|uploaded|passed|exposed)|go|flow|be transferred)\s+to\s+(?:an?\s+|any\s+)?"
    r"(?:openai|anthropic|chatgpt|external|third[- ]part\w+|the cloud|cloud|outside|hosted|saas)|"
    r"everything (?:must|has to|should) (?:run|stay) (?:locally|local|offline|on[- ]prem\w*)|"
    # the model itself must be self-hosted: "legal says the model has to be self-hosted in our own AWS account"
    r"(?:models?|llms?)\s+(?:has|have|must|needs?|need)\s+(?:to\s+)?(?:be\s+)?self[- ]hosted|"
    r"(?:around|on|with)\s+a\s+self[- ]hosted\s+(?:model|llm))"
)


def _flag(name: str, pattern: re.Pattern[str]) -> Callable[[Reading], None]:
    """A whole-text step that sets the yes/no requirement ``name``, quoting the first clause
    ``pattern`` matches."""
    def step(acc: Reading) -> None:
        for clause in acc.clauses:
            match = pattern.search(clause.text)
            if match:
                acc.put(name, True, acc.quote(*clause.span(match)))
                return

    return step


def _affirmed_flag(name: str, pattern: re.Pattern[str], value: Any = True) -> Callable[[Reading], None]:
    """Like :func:`_flag`, but a match under a negation ("not in production yet") does not count;
    ``value`` is what a match sets (a zero budget for "without paying for anything")."""
    def step(acc: Reading) -> None:
        found = _first_positive(acc, pattern, negation=_NEGATION)
        if found:
            acc.put(name, value, acc.quote(*found[0].span(found[1])))

    return step


_STACK_ONLY = _rx(
    r"\b(?:(?:existing|current)\s+(?:[\w-]+\s+){0,2}?only|only (?:use|reuse|allowed to use)\b|can only use|"
    r"(?:no|without)\s+(?:any\s+)?(?:adding\s+|introducing\s+|deploying\s+)?(?:an?\s+|any\s+)?new\s+(?:infrastructure|infra|services?|datastores?|databases?|dbs|vendors?|tools|components|systems|stores?)|"
    r"(?:must|have to|need to|has to)\s+reuse|reuse (?:only )?(?:what we (?:already )?have|our existing)|"
    r"stick (?:to|with) (?:what we have|our (?:existing|current))|nothing new|"
    # "we're not adding another tool", "don't want to add any new services"
    r"(?:not|never|won't|don't want to|do not want to|can't|cannot)\s+(?:be\s+)?add(?:ing)?\s+(?:another|any (?:new |more |other )?|a new|new|more)\s*"
    r"(?:tools?|services?|datastores?|databases?|vendors?|infrastructure|components?|systems?|platforms?|products?)|"
    r"(?:with|using) (?:only|just) (?:our )?(?:existing|current)|"
    # "the only database we may use is our Postgres", "Postgres is our only allowed datastore"
    r"(?:the|our) only (?:allowed |permitted |approved )?(?:databases?|datastores?|data stores?|dbs?|storage)\b(?:\s+(?:we|you)\s+(?:may|can|are allowed to)\s+use)?)\b"
)
# across a bracket, which ends a clause: "only Postgres (RDS) and S3 are approved for storage"
_STACK_ONLY_APPROVED = _rx(r"\bonly\s+(?:our\s+)?[\w-]+(?:\s+\([\w\s/-]+\))?(?:\s+(?:and|&|or)\s+[\w-]+)?\s+(?:is|are)\s+"
                           r"(?:approved|allowed|permitted|sanctioned|whitelisted)\b")


# "we're Snowflake-only", "a Postgres-only shop": one named datastore and nothing new
_STACK_ONLY_NAMED = _rx(r"\b(?:postgres(?:ql)?|snowflake|bigquery|databricks|oracle|sql server|mysql|redshift|mongodb|"
                        r"elasticsearch|opensearch|clickhouse)[- ]only\b")


def _stack_only_approved(acc: Reading) -> None:
    match = _STACK_ONLY_APPROVED.search(acc.low) or _STACK_ONLY_NAMED.search(acc.low)
    if match and "stack_only" not in acc.facts:
        acc.put("stack_only", True, acc.quote(match.start(), match.end()))


_OPEN_SOURCE_ONLY = _rx(
    r"\b(?:open[- ]?source(?: software| tools?| components?| stack| tech(?:nology)?)? only|(?:only|just|exclusively|strictly|100\s?%) "
    r"(?:use\s+)?(?:open[- ]?source|oss|foss)\b|foss only|oss only|(?:no|nothing|without (?:any )?)\s*proprietary|"
    r"(?:must|has to|have to|needs? to) be (?:fully |entirely |all )?open[- ]?source|"
    # "funders require everything to be open source", "we can't pay for licences"
    r"(?:everything|it all|all of it|the whole stack|all (?:components|tools|software))\s+(?:\w+\s+)?(?:to be|must be|has to be|"
    r"should be|is) (?:fully |entirely )?open[- ]?source|(?:can't|cannot|can not|won't) pay for (?:any )?(?:software )?licen[cs]es|"
    r"no (?:paid |commercial )?(?:software )?licen[cs]es)"
)

# sovereignty: not only EU data residency, but no US company's service at all (the CLOUD Act)
_EUROPEAN_PROVIDERS = _rx(
    r"\b(?:(?:only|just|exclusively|strictly)\s+(?:use\s+)?(?:eu|european|eu-based|europe-based)\s+(?:cloud\s+|hosting\s+|saas\s+)?"
    r"(?:providers?|vendors?|clouds?|hosters?|companies|suppliers)|"
    r"(?:eu|european|eu-based)\s+(?:cloud\s+|hosting\s+)?(?:providers?|vendors?|clouds?|hosters?|companies|suppliers)\s+only|"
    r"no\s+(?:us|u\.s\.|american|us-based)\s+(?:cloud\s+|saas\s+|tech\s+)?(?:providers?|vendors?|hyperscalers?|clouds?|companies|services|suppliers)|"
    r"no\s+hyperscalers?|(?:data\s+)?sovereign(?:ty)?\s+cloud|(?:digital|data)\s+sovereignty|cloud act|"
    # "we cannot send data to US providers", "nothing may go to American companies", "no data to US vendors"
    r"(?:can't|cannot|can not|must not|mustn't|may not|not allowed to|never)\s+(?:send|share|give|pass|transfer|upload)\s+"
    r"(?:\w+\s+){0,3}?(?:to|with)\s+(?:any\s+)?(?:us|u\.s\.|american|us-based)\s+(?:cloud\s+|saas\s+|tech\s+)?"
    r"(?:providers?|vendors?|hyperscalers?|clouds?|companies|services|suppliers|apis?)|"
    r"(?:no|nothing|none of (?:the|our|it))\s+(?:\w+\s+){0,2}?(?:goes|may go|can go|to|leaves? (?:\w+ )?for)\s+(?:any\s+)?"
    r"(?:us|u\.s\.|american|us-based)\s+(?:cloud\s+)?(?:providers?|vendors?|hyperscalers?|clouds?|companies|services|apis?)|"
    r"(?:ovh(?:cloud)?|scaleway|hetzner|ionos|stackit|open telekom cloud)\s+only)"
)

# features read by a live model at request time: the pipeline needs an online store
_ONLINE_FEATURES = _rx(
    r"\b(?:online (?:feature )?(?:lookups?|look-ups?|features?|feature store|store|serving)|"
    r"(?:real[- ]time|low[- ]latency|sub-?\d+ ?ms|\d+ ?ms) (?:feature )?(?:lookups?|look-ups?|reads)|feature (?:lookups?|serving)|"
    r"features?\b[^.;]{0,90}?\b(?:served|available|looked up|fetched|reads?|queried|retrieved) (?:\w+ )?"
    r"(?:online|in real[- ]time|at request time|at (?:scoring|serving|inference) time)|"
    r"served (?:online|in real[- ]time|at request time) to (?:the |our )?(?:app|application|services?|website|api|product)|"
    # features kept fresh to the second are read by a live model: "features must be fresh within 5 seconds"
    r"features?\b[^.;]{0,40}?\b(?:fresh|up[- ]to[- ]date|updated)\b[^.;]{0,15}?\bwithin\s+(?:\d+\s*(?:ms|milliseconds?|s|secs?|seconds?)|a (?:second|few seconds))\b|"
    # "... for a fraud model that reads them online in under 20 ms" (the features are named in an earlier clause)
    r"(?:model|service|api|app|recommender|ranker|classifier|scorer|engine)\b[^.;]{0,30}?\b(?:reads?|looks? up|fetch(?:es)?|queries|needs?) (?:them|those|the features) "
    r"(?:online|in real[- ]time|at (?:request|scoring|serving|inference) time))"
)

# managed serverless compute only: no servers, VMs or clusters to run
_SERVERLESS = _rx(
    r"\b(?:serverless(?:[- ]only| everything)?|(?:no|zero) (?:servers?|vms|virtual machines) (?:to (?:manage|run|maintain|patch)|for us)|"
    r"(?:can't|cannot|can not|won't|don't want to|do not want to|not able to|unable to) (?:run|manage|maintain|operate|patch|babysit)"
    r" (?:any |our own )?(?:servers?|vms|virtual machines|machines|(?:kubernetes|k8s|clusters?) or servers?))\b"
)

# the model runs on devices in the field, not on servers
_EDGE = _rx(
    r"\b(?:jetson(?: \w+)?|raspberry pis?|"
    # in the users' browsers: "has to run client-side in WASM", "inference in the browser with transformers.js"
    r"(?:runs?|running|inference|infer|scor(?:e|es|ing)|execut(?:e|es|ing))\s+(?:\w+\s+){0,2}?(?:client[- ]side|in[- ]browser|"
    r"in (?:the |their |each )?(?:users?['’]? )?browsers?)|client[- ]side (?:inference|models?|ml|classif\w*)|"
    r"(?:in|to|on|with) (?:wasm|webassembly)|onnx runtime web|transformers\.js|tensorflow\.js|tf\.js|"
    r"coral (?:tpu|edge)|edge (?:devices?|boxes|box|gateways?|nodes?|hardware|deployments?|inference|tpus?)|"
    r"on[- ]device|industri(?:al|e)[- ]pcs?|on the (?:devices?|robots?|drones?|cameras?|phones?|vehicles?|boxes|gateways?|controllers?|turbines?|plcs?|"
    r"microcontrollers?|mcus?)|in[- ]vehicle|in[- ]car|microcontrollers?|cortex-[am]\d+|arm cortex|"
    r"(?:runs?|running|deploy(?:ed|ing)?|ship(?:ped|ping)?|push(?:ed|ing)?|install(?:ed|ing)?|roll(?:ed|ing)? (?:it )?out)"
    r"(?: (?:it|them|the \w+|our \w+|this \w+|new \w+|\w+ (?:model )?updates))? (?:to|on(?:to)?) (?:the |our |each |every |all )?(?:\w+ )?(?:fleet|robots|drones|cameras|devices|vehicles|kiosks|boxes|gateways|terminals|scanners|tablets|phones|sensors))\b|"
    r"(?:runs?|deployed|installed) (?:locally )?(?:in|at) (?:each|every|all (?:the |our )?)\s*(?:stores?|shops?|sites?|factor(?:y|ies)|plants?|branches?|vehicles?|trucks?)\b|"
    # on the players' or users' own computers: "run locally inside the game on players' PCs"
    r"(?:on|in) (?:the )?(?:players?|users?|customers?|gamers?)['’]?\s*(?:own )?(?:pcs|computers|laptops|machines|consoles|phones|devices)\b|"
    # offline on the users' devices: "work offline on Android tablets", "funcionar offline en tablets"
    r"offline (?:on|en|sur|em|op|auf|su) (?:the |our |their |los |las |les |des |os |as |de |die |den )?(?:\w+ )?"
    r"(?:tablets?|phones?|smartphones?|mobiles?|handhelds?|devices?|móviles|celulares|telefoons|handys)\b"
)

# nothing may cost money: a budget of zero
_NO_SPEND = _rx(
    r"\b(?:without paying(?: (?:for )?anything)?|zero budget|\$0 budget|budget (?:is|of) \$?0\b|"
    r"(?:don't|do not|can't|cannot|won't) (?:want to )?(?:pay|spend) (?:anything|a (?:cent|penny|dime)|money)|"
    r"must (?:be|stay) free|free of charge|(?:only|just) free (?:tools|software|tiers?|options)|"
    # "something free and local", "3 people, laptops only, free - which tool?"
    r"(?:something|anything|tools?|software|options?|everything)\s+(?:that(?:'s| is)\s+|which is\s+)?(?:free|gratis)\b(?![- ](?:text|form|tier))|"
    r"(?:^|(?<=[,;:–—])|(?<=[,;:–—]\s))free(?=\s*(?:[,;.!?–—]|$))|"
    # "No budget." is none to spend; "no budget limit" is the opposite
    r"(?:we have |there is |there's |with |and )?no budget\b(?!\s+(?:limits?|constraints?|caps?|ceiling|concerns?|issues?|"
    r"problems?|restrictions?|pressure|to worry|is set|was set|yet|stated|given|approved|numbers?|figures?|owner)))"
)


# an agent that acts through tools ("an agentic bot that calls tools (refund, cancel order)", "function calling");
# not the people a call centre calls agents
_TOOL_CALLING = _rx(
    r"\b(?:agentic|tool[- ](?:calling|use|calls?|using)|function[- ]calling|(?:ai|llm|autonomous|multi[- ]step)\s+agents?\b"
    r"[^.;]{0,60}?\b(?:calls?|uses?|invokes?|executes?|takes?)\s+(?:\w+\s+){0,4}?(?:tools?|apis?|actions?)|"
    r"(?:bot|assistant|copilot|chatbot)s?\s+(?:that\s+|which\s+)?(?:calls?|uses?|invokes?)\s+(?:\w+\s+){0,2}?(?:tools?|apis?|functions?))\b"
)


# customers who share the system and must not see each other's data
_TENANTS = _rx(
    r"\b(?:multi[- ]?tenant\w*|tenants?|tenant[- ]isolation|per[- ](?:tenant|customer|client)\s+(?:isolation|indexes|indices|namespaces?)|"
    r"(?:one|a|each)\s+(?:customer|client|firm|tenant)'s\s+(?:data|documents|docs|text)\s+(?:must|may|can|should)\s+never|"
    r"each\s+of\s+our\s+[\d,]+\s+(?:customers|clients|firms)\s+(?:uploads?|has|have|brings?)\s+(?:their|its)\s+own)\b")
# people label data in the loop: "4 annotators in Label Studio", "sample 2k a week for human labelling"
_LABELLING = _rx(
    r"\b(?:annotators?|labell?ers|(?:annotation|label(?:l?ing)?) (?:tool|queue|team|vendors?|platform|ui|interface|campaigns?|"
    r"workflow|tasks?|guidelines)|human[- ](?:labell?ing|annotations?|labels?|labell?ers|annotators)|hand[- ]?label\w*|"
    r"manual(?:ly)? (?:label\w*|annotat\w*)|(?:sent|send|sending|route[ds]?|routing) (?:\w+ ){0,4}(?:to|for) (?:human )?"
    r"(?:label\w*|annotat\w*)|label studio|labelbox|argilla|cvat|prodigy|ground truth|doccano|"
    # people who label: "get volunteers to label species", "our agronomists annotate the photos"
    r"(?:volunteers|experts|agronomists|radiologists|clinicians|doctors|linguists|students|rangers|interns|analysts|"
    r"reviewers|staff|crowd ?workers)\s+(?:to\s+|who\s+|will\s+|can\s+)?(?:label|annotate|tag)\b)\b")
# real users or traffic reach the system today: an online test is possible
_LIVE = _rx(
    r"\b(?:in production|in prod|on prod|production (?:traffic|users|system|model|chatbot|assistant)|live (?:traffic|users|system)|"
    r"(?:is|are|already|now|been|went|gone) live|(?:our|its|their|the app's|the site's) (?:users|customers|clients|shoppers|visitors|players|members)|"
    r"(?:real|paying|active|end) (?:users|customers)|customers (?:use|ask|chat|search|see)|"
    r"a/b[- ]?tests?|ab[- ]tests?|a/b[- ]testing|split[- ]tests?|online (?:tests?|experiments?|evaluation)|champion|challenger|"
    r"shadow (?:mode|tests?|traffic|deployments?)|canary|interleav\w*|click[- ]?through|\bctr\b|conversion rates?|"
    r"thumbs[- ]?(?:up|down)|user (?:feedback|ratings|clicks)|users? (?:rate|rating|click|complain)\w*)"
)


# --------------------------------------------------------------------------- data rules

_REGIONS = [
    ("EU", r"eu|europe|europa|the european union|european union|eea|ue"), ("US", r"us|usa|united states|the us|the united states"),
    ("UK", r"uk|united kingdom|london"), ("Germany", r"germany|deutschland|frankfurt|berlin|munich|münchen"), ("France", r"france|paris"), ("Canada", r"canada|montreal|toronto"),
    ("Switzerland", r"switzerland|zurich"), ("Australia", r"australia|sydney"), ("India", r"india|mumbai"), ("Japan", r"japan|tokyo"),
    ("Singapore", r"singapore"), ("Brazil", r"brazil|brasil|s[ãa]o paulo"), ("Netherlands", r"the netherlands|netherlands|nederland|amsterdam"),
    ("Ireland", r"ireland|dublin"), ("Spain", r"spain|españa|madrid"), ("Italy", r"italy|italia|milan|milano"), ("Sweden", r"sweden|stockholm"),
    ("Austria", r"austria|vienna"), ("Poland", r"poland|warsaw"), ("Norway", r"norway|oslo"), ("Belgium", r"belgium|brussels"),
    ("China", r"mainland china|china|the prc|beijing|shanghai"), ("South Korea", r"south korea|korea|seoul"),
    ("UAE", r"the uae|uae|united arab emirates|dubai|abu dhabi"), ("Saudi Arabia", r"saudi arabia|ksa|riyadh"),
    ("Mexico", r"m[eé]xico"), ("South Africa", r"south africa|johannesburg"),
]
_REGION = "(?:" + "|".join(f"(?P<r{i}>{p})" for i, (_, p) in enumerate(_REGIONS)) + ")"
_RESIDENCY = [
    _rx(rf"\b(?:stay|stays|remain|remains|reside|resides|be stored|be hosted|be processed|be kept|kept|live|lives|be)\s+(?:with)?in\s+(?:the\s+)?{_REGION}\b"),
    _rx(rf"\b(?:must|cannot|can't|must not|mustn't|never|may not|should not)\s+(?:\w+\s+)?leave\s+(?:the\s+)?{_REGION}\b"),
    _rx(rf"\b(?:nothing|no data|none of it)\s+(?:\w+\s+)?leaves?\s+(?:the\s+)?{_REGION}\b"),
    _rx(rf"\b{_REGION}[- ]only\b"),
    _rx(rf"\b{_REGION}\s+(?:hosting|hosted|storage|data|servers?|regions?|cloud|data ?cent(?:er|re)s?)\s+only\b"),
    _rx(rf"\bkeep\s+(?:[\w-]+\s+){{0,3}}?(?:with)?in\s+(?:the\s+)?{_REGION}\b"),
    _rx(rf"\b{_REGION}\s+data\s+residency"),
    # "hosting in Germany is mandatory", "Hosting zwingend in Deutschland", "hébergement en France"
    _rx(rf"\b(?:hosting|hébergement|alojamiento|hospedaje|hospedagem)\s+(?:\w+\s+)?(?:in|im|en|dans|au|aux|no|na|em)\s+(?:der\s+|the\s+|la\s+|el\s+|o\s+)?{_REGION}\b"),
    _rx(rf"\bdata residency\s*(?:in|:|=)?\s*(?:the\s+)?{_REGION}\b"),
    _rx(rf"\b(?:hosted|stored|deployed|processed)\s+(?:only\s+)?in\s+(?:the\s+)?{_REGION}\b(?:\s+only)?"),
    _rx(rf"\b{_REGION}\s+(?:regions?|data ?cent(?:er|re)s?)\b"),
    # German, French, Spanish: "Daten bleiben in der EU", "les données restent en France", "permanecer en la UE"
    _rx(rf"\b(?:bleiben|bleibt|verbleiben|verbleibt|gespeichert werden|liegen)\s+(?:\w+\s+)?in\s+(?:der\s+|den\s+)?{_REGION}\b"),
    _rx(rf"\bin\s+(?:der\s+|den\s+)?{_REGION}\s+(?:bleiben|bleibt|verbleiben|verbleibt|gespeichert|gehostet|liegen|blijven|blijft)\b"),
    _rx(rf"\b(?:rester|restent|reste|hébergées?|stockées?)\s+(?:\w+\s+)?(?:en|dans l'|dans l’)\s*{_REGION}\b"),
    _rx(rf"\b(?:quedarse|quedan|permanecer|permanecen|alojad[oa]s?|almacenad[oa]s?)\s+(?:\w+\s+)?en\s+(?:la\s+)?{_REGION}\b"),
]


def _region_name(acc: Reading, clause: _Clause, match: re.Match[str]) -> str | None:
    for i, (name, _) in enumerate(_REGIONS):
        group = f"r{i}"
        if match.group(group):
            raw = acc.text[slice(*clause.span(match, group))]
            if name in ("US", "UK") and raw.split()[-1] not in ("US", "UK", "USA"):
                return None  # the pronoun "us", not the United States
            return name
    return None


_REGION_GATE = _rx(rf"\b{_REGION}\b")


# cloud regions named by their id: (pattern, cloud). An id is
# the provider's own ("eu-central-1", "europe-west1"); an Azure name ("West Europe") counts only
# when the request names Azure.
_ZONES: list[tuple[str, str]] = [
    (r"eu-central-1", "aws"), (r"eu-central-2", "aws"), (r"eu-west-1", "aws"),
    (r"eu-west-2", "aws"), (r"eu-west-3", "aws"), (r"eu-north-1", "aws"),
    (r"eu-south-1", "aws"), (r"eu-south-2", "aws"), (r"us-(?:east|west)-[12]", "aws"),
    (r"ca-central-1", "aws"), (r"ap-southeast-2", "aws"), (r"ap-south-1", "aws"),
    (r"ap-northeast-1", "aws"), (r"ap-southeast-1", "aws"), (r"sa-east-1", "aws"),
    (r"me-central-1", "aws"), (r"af-south-1", "aws"),
    (r"europe-west1", "gcp"), (r"europe-west2", "gcp"), (r"europe-west3", "gcp"),
    (r"europe-west4", "gcp"), (r"europe-west6", "gcp"), (r"europe-west8", "gcp"),
    (r"europe-west9", "gcp"), (r"europe-north1", "gcp"), (r"europe-southwest1", "gcp"),
    (r"europe-central2", "gcp"), (r"us-(?:central|east|west)\d", "gcp"),
    (r"northamerica-northeast[12]", "gcp"), (r"australia-southeast[12]", "gcp"),
    (r"asia-south1", "gcp"), (r"asia-northeast1", "gcp"), (r"asia-southeast1", "gcp"),
    (r"west europe", "azure"), (r"north europe", "azure"),
    (r"germany west central", "azure"), (r"france central", "azure"), (r"uk south", "azure"),
    (r"switzerland north", "azure"), (r"sweden central", "azure"),
    (r"(?:east|west|central) us(?: 2)?", "azure"), (r"canada central", "azure"),
    (r"australia east", "azure"), (r"central india", "azure"), (r"japan east", "azure"),
    (r"(?:north|south|west) central us", "azure"), (r"(?:east|west) us [23]", "azure"), (r"spain central", "azure"),
    (r"italy north", "azure"), (r"poland central", "azure"), (r"norway east", "azure"), (r"brazil south", "azure"),
    (r"mexico central", "azure"), (r"uae north", "azure"), (r"south africa north", "azure"), (r"korea central", "azure"),
    (r"southeast asia", "azure"), (r"east asia", "azure"), (r"switzerland west", "azure"), (r"germany north", "azure"),
    (r"ap-northeast-[23]", "aws"), (r"ap-east-1", "aws"), (r"mx-central-1", "aws"), (r"il-central-1", "aws"),
    (r"southamerica-east1", "gcp"), (r"europe-north2", "gcp"), (r"europe-west1[02]", "gcp"), (r"me-central[12]", "gcp"),
    (r"asia-(?:east|northeast|southeast|south)[123]", "gcp"), (r"africa-south1", "gcp"), (r"northamerica-south1", "gcp"),
]
_ZONE_RX = _rx(r"\b(?:" + "|".join(f"(?P<z{i}>{p})" for i, (p, _) in enumerate(_ZONES)) + r")\b")

# services only one cloud sells: "versioned JSONL in GCS", "we load into BigQuery" say the cloud
_CLOUD_SERVICES = _rx(
    r"\b(?:(?P<gcp>bigquery|gcs|gke|vertex ai|cloud run|dataflow|dataproc|pub/sub|cloud composer|bigtable|cloud spanner)|"
    r"(?P<aws>(?<!ceph )(?<!minio )(?<!wasabi )s3(?![- ]compatible)|sagemaker|eks|ec2|redshift|athena|kinesis|dynamodb|bedrock|aws glue|emr)|"
    r"(?P<azure>aks|adls|synapse|cosmos ?db))\b")


def _cloud_from_services(acc: Reading) -> None:
    """The cloud a request's services belong to, when it names no cloud and runs in none of its own."""
    deployment = acc.facts.get("deployment")
    if "cloud" in acc.facts or (deployment is not None and deployment.value != "cloud"):
        return
    found = {(m.lastgroup, m.span()) for m in _CLOUD_SERVICES.finditer(acc.low)
             if not _NEGATION.search(acc.low[max(0, m.start() - 30):m.start()])}
    clouds = {cloud for cloud, _ in found}
    if len(clouds) == 1:
        cloud, span = min(found, key=lambda f: f[1])
        acc.put("cloud", cloud, acc.quote(*span))


def _cloud_region(acc: Reading) -> None:
    """The cloud regions named by their ids ("AWS, eu-central-1"; "multi-region: us-east-1 and
    eu-west-1"): where the design places what it runs in that cloud (the residency, if any, is
    read on its own)."""
    spans: list[tuple[int, int]] = []
    for match in _ZONE_RX.finditer(acc.low):
        i = next(i for i in range(len(_ZONES)) if match.group(f"z{i}"))
        _, cloud = _ZONES[i]
        named = acc.facts.get("cloud")
        if cloud == "azure" and (named is None or named.value != "azure"):
            continue
        if named is not None and named.value != cloud:
            continue
        if named is None:
            acc.put("cloud", cloud, acc.quote(*match.span()))
        spans.append(match.span())
    if spans:
        from mlarchitect.render_markdown import listed

        zones = list(dict.fromkeys(acc.text[a:b] for a, b in spans))
        acc.put("cloud_region", listed(zones), acc.quote(spans[0][0], spans[-1][1]))


def _residency(acc: Reading) -> None:
    for clause in acc.clauses:
        if not _REGION_GATE.search(clause.text):
            continue
        for pattern in _RESIDENCY:
            for match in pattern.finditer(clause.text):
                name = _region_name(acc, clause, match)
                if name:
                    acc.put("data_residency", name, acc.quote(*clause.span(match)))
                    return


_COMPLIANCE = [
    ("gdpr", r"\bgdpr\b|\bdsgvo\b|\brgpd\b"), ("hipaa", r"\bhipaa\b|protected health information"),
    ("pii", r"\bpii\b|personal data|personally identifiable|personal information"),
    ("soc2", r"\bsoc[\s-]?(?:2|ii)\b"), ("pci", r"\bpci(?:[\s-]?dss)?\b|card ?holder data"),
    ("iso27001", r"\biso[\s/-]?27001\b"), ("ccpa", r"\bccpa\b"), ("fedramp", r"\bfedramp\b"),
    # an auditor or regulator will ask for evidence: decisions must be reconstructable
    ("audit", r"\b(?:regulators?|regulatory|auditors?|audit trails?|auditable|auditability|model risk management|"
              r"(?:eu )?ai act|sr 11-7|supervisory authority|banking supervisor)\b"),
]
# "No PHI may be sent ...": a rule about the data, not its absence.
_RULE_AFTER = _rx(r"\s+(?:data\s+)?(?:may|can|must|should|shall|will|is allowed|ever|leaves?|goes?)\b")
_NOT_APPLYING = _rx(r"\s+(?:no longer|doesn't|does not|is not|isn't|not|won't|will not)\b")
_COMPLIANCE_PATTERNS = [(name, _rx(p)) for name, p in _COMPLIANCE]
_PHI = lazy_compile(r"\bPHI\b")  # only in capitals: "phi-3" is a model
_COMPLIANCE_GATE = _rx("|".join(p for _, p in _COMPLIANCE) + r"|\bphi\b")


def _compliance(acc: Reading) -> None:
    for clause in acc.clauses:
        if not _COMPLIANCE_GATE.search(clause.text):
            continue
        for name, pattern in _COMPLIANCE_PATTERNS:
            match = pattern.search(clause.text)
            if match is None and name == "hipaa":
                match = _PHI.search(acc.original(clause))
            if match is None or _NOT_APPLYING.match(clause.text, match.end()):
                continue
            if not _negated(clause, match) or _RULE_AFTER.match(clause.text, match.end()):
                acc.add("compliance", name, acc.quote(*clause.span(match)))
                for sub in re.finditer(r"\d+", match.group(0)):
                    acc.use((clause.start + match.start() + sub.start(), clause.start + match.start() + sub.end()))


_STACK = [
    ("postgres", r"postgres(?:ql)?|pgvector"), ("mysql", r"mysql"), ("kubernetes", r"kubernetes|k8s|eks|gke|aks|openshift|rancher"),
    ("spark", r"spark|pyspark"), ("databricks", r"databricks"), ("airflow", r"airflow"), ("dagster", r"dagster"),
    ("prefect", r"prefect"), ("slurm", r"slurm"), ("kafka", r"kafka"), ("kinesis", r"kinesis"), ("flink", r"flink"),
    ("snowflake", r"snowflake"), ("bigquery", r"bigquery|big query"), ("redshift", r"redshift"),
    ("redis", r"redis"), ("elasticsearch", r"elasticsearch|elastic search|elastic"), ("opensearch", r"opensearch"),
    ("s3", r"(?:ceph|minio|wasabi|cloudflare r2|netapp storagegrid)\s+s3|s3(?:[- ]compatible)?|ceph(?:\s+object\s+(?:storage|store|gateway))?"), ("gcs", r"gcs"), ("mlflow", r"mlflow"), ("sagemaker", r"sagemaker"), ("vertex", r"vertex(?: ai)?"),
    ("mongodb", r"mongodb|mongo"), ("dynamodb", r"dynamodb"), ("cassandra", r"cassandra"),
    ("clickhouse", r"clickhouse"), ("timescale", r"timescale(?:db)?"), ("duckdb", r"duckdb"), ("pinecone", r"pinecone"), ("weaviate", r"weaviate"),
    ("qdrant", r"qdrant"), ("milvus", r"milvus"), ("chroma", r"chroma(?:db)?"), ("faiss", r"faiss"),
    ("neo4j", r"neo4j"), ("rabbitmq", r"rabbitmq"), ("celery", r"celery"), ("docker", r"docker"),
    ("ray", r"ray"), ("triton", r"triton"), ("vllm", r"vllm"), ("kserve", r"kserve|kfserving"), ("seldon", r"seldon(?: core)?"), ("kubeflow", r"kubeflow"), ("feast", r"feast"),
    ("dbt", r"dbt"), ("terraform", r"terraform"), ("prometheus", r"prometheus"), ("grafana", r"grafana"),
    ("datadog", r"datadog"), ("teradata", r"teradata"), ("oracle", r"oracle(?: db| database)?"), ("sql server", r"sql server|mssql"),
    ("synapse", r"synapse"), ("fabric", r"microsoft fabric"), ("looker", r"looker"), ("tableau", r"tableau"), ("power bi", r"power ?bi"),
    ("metabase", r"metabase"), ("superset", r"superset"), ("minio", r"minio"), ("hdfs", r"hdfs|hadoop"), ("hive", r"hive"),
    ("iceberg", r"iceberg"), ("delta lake", r"delta lake"), ("nifi", r"nifi"), ("airbyte", r"airbyte"), ("fivetran", r"fivetran"),
    ("wandb", r"wandb|w&b|weights (?:&|and) biases"), ("label studio", r"label ?studio"),
    # what the team runs around the ML system: identity, secrets, CI, tuning, hosting providers
    ("vault", r"(?:hashicorp )?vault"), ("okta", r"okta"), ("keycloak", r"keycloak"), ("ldap", r"ldap"),
    ("active directory", r"active directory|entra id|azure ad"), ("sso", r"sso|saml|oidc"),
    ("jenkins", r"jenkins"), ("gitlab", r"gitlab(?: ci)?"), ("github actions", r"github actions"),
    ("argo", r"argo ?cd|argo workflows"), ("servicenow", r"servicenow"), ("optuna", r"optuna"),
    ("fastapi", r"fastapi"), ("ovhcloud", r"ovh(?:cloud)?"), ("scaleway", r"scaleway"), ("hetzner", r"hetzner"),
    ("ionos", r"ionos"), ("stackit", r"stackit"), ("outscale", r"outscale"),
    # enterprise systems the design plugs into
    ("sap", r"sap(?: s/4 ?hana| hana| erp| bw)?|s/4 ?hana"), ("mulesoft", r"mulesoft"), ("salesforce", r"salesforce"),
    ("workday", r"workday"), ("informatica", r"informatica"), ("boomi", r"boomi"), ("dynamics 365", r"dynamics 365"),
    # data catalogs and lineage the design registers its datasets in
    ("collibra", r"collibra"), ("alation", r"alation"), ("datahub", r"datahub"), ("amundsen", r"amundsen"),
    ("unity catalog", r"unity catalog"), ("purview", r"(?:microsoft )?purview"), ("openmetadata", r"openmetadata"),
    ("apache atlas", r"apache atlas"), ("openlineage", r"openlineage"),
]
_STACK_RX = _rx(r"\b(?:" + "|".join(f"(?P<s{i}>{p})" for i, (_, p) in enumerate(_STACK)) + r")\b")
_CAPITALISED_ONLY = {"ray", "feast", "elastic", "triton", "prefect", "celery", "chroma", "spark", "hive", "oracle", "superset",
                     "vault", "argo", "sap", "workday"}


def _stack(acc: Reading) -> None:
    for clause in acc.clauses:
        for match in _STACK_RX.finditer(clause.text):
            word = acc.text[slice(*clause.span(match))]
            if word.lower() in _CAPITALISED_ONLY and not word[0].isupper():
                continue
            if _negated(clause, match):
                continue
            name = next(_STACK[i][0] for i in range(len(_STACK)) if match.group(f"s{i}"))
            acc.add("existing_stack", name, acc.quote(*clause.span(match)))
            for sub in re.finditer(r"\d+", word):
                acc.use((clause.start + match.start() + sub.start(), clause.start + match.start() + sub.end()))


# where a pipeline's data comes from: (kind, what names it); a source counts when the request
# says the data comes from it ("from our Postgres", "vendors email spreadsheets", "pull the CRM API")
_SOURCES = [
    ("database", r"postgres(?:ql)?|mysql|mariadb|oracle|sql server|mssql|mongodb|db2|mainframe|teradata|\berp\b|\bsap\b|"
                 r"(?:operational|production|transactional|app|shop|source|order|billing|core banking) (?:databases?|dbs?|systems?)|"
                 r"oltp|data ?warehouse|snowflake|bigquery|redshift"),
    ("files", r"spreadsheets?|excel|csv(?: files)?|sftp|ftp|file drops?|e-?mail(?:ed)? (?:attachments?|files|spreadsheets)|"
              r"uploads?|json files|parquet files|s3 bucket|a bucket|shared drive|network share"),
    ("api", r"(?:rest |vendor |partner |third[- ]party |external |public |market[- ]data )?apis?\b|webhooks?|salesforce|hubspot|"
            r"stripe|zendesk|shopify|fhir"),
    # a named feed is quoted before a generic one ("sensors publish over MQTT": MQTT)
    ("events", r"kafka|kinesis|pub/?sub|event hubs?|hl7|cdc|mqtt|opc[- ]?ua|modbus"),
    ("events", r"clickstream|telemetry|sensors?|iot|event streams?"),
]
_SOURCE_RX = [(kind, _rx(rf"\b(?:{pattern})")) for kind, pattern in _SOURCES]
_FROM = _rx(r"\b(?:from|out of|pull\w*|extract\w*|ingest\w*|sync\w*|export\w*|land\w*|arriv\w*|comes? in|come from|"
            r"coming from|send\w*|e-?mail\w*|drop\w*|upload\w*|read\w* from|sourced from|fed by|feeds? from|receiv\w*|"
            r"publish\w*|over|via|(?:sits?|sitting|lives?|living|stored|kept|held|resides?)\s+in)\b")


# document systems a corpus lives in: named, they are its source whatever the verb ("4M documents in iManage")
_DOCUMENT_SYSTEMS = _rx(
    r"\b(?:confluence|sharepoint|notion|google drive|gdrive|onedrive|dropbox|imanage|netdocuments|documentum|opentext|"
    r"m-files|alfresco|nextcloud|zendesk|freshdesk|servicenow|jira|github|gitlab|slack|moodle|mediawiki|dokuwiki|"
    r"bookstack|guru|salesforce knowledge|veeva vault)\b"
)


def _sources(acc: Reading) -> None:
    for clause in acc.clauses:
        for match in _DOCUMENT_SYSTEMS.finditer(clause.text):
            found = acc.lists.setdefault("data_sources", [])
            quote = acc.quote(*clause.span(match))
            if not _negated(clause, match) and all(f.quote.lower() != quote.lower() for f in found):
                found.append(Fact.said("documents", quote))  # each system its own source
        if not _FROM.search(clause.text):
            continue
        kinds: set[str] = set()
        for kind, pattern in _SOURCE_RX:
            if kind in kinds:
                continue  # a generic word after a named feed of its kind ("sensors ... over MQTT")
            for match in pattern.finditer(clause.text):
                if not _negated(clause, match):
                    acc.add("data_sources", kind, acc.quote(*clause.span(match)))
                    kinds.add(kind)
                    break


# where results must go: "push the scores to HubSpot", "write predictions back into SAP", "post alerts in Slack"
_DESTINATION_SYSTEMS = (r"salesforce|hubspot|marketo|braze|iterable|klaviyo|mailchimp|zendesk|intercom|servicenow|jira|slack|"
                        r"microsoft teams|sap|erp|crm|shopify|google sheets|power ?bi|tableau|looker|segment|"
                        r"dynamics(?: 365)?|netsuite|workday|pagerduty|opsgenie")
_DELIVER = _rx(r"\b(?:push|sync|send|write|load|export|deliver|publish|post|upload|feed)(?:s|es|ed|ing)?\b[^.;]{0,40}?"
               r"\b(?:back\s+)?(?:to|into|in)\s+(?:our\s+|the\s+|a\s+)?(?:[\w-]+\s+){0,2}?(?P<d>" + _DESTINATION_SYSTEMS + r")\b")


def _destinations(acc: Reading) -> None:
    for clause in acc.clauses:
        for match in _DELIVER.finditer(clause.text):
            if _negated(clause, match):
                continue
            start, end = clause.span(match, "d")
            name = acc.text[start:end]
            name = name.upper() if name.lower() in ("sap", "erp", "crm") else name
            acc.add("destinations", name, acc.quote(*clause.span(match)))


_LANGUAGES = (
    "english|german|french|spanish|italian|portuguese|dutch|polish|swedish|danish|norwegian|finnish|japanese|"
    "chinese|mandarin|cantonese|korean|arabic|hindi|turkish|russian|ukrainian|czech|greek|hebrew|vietnamese|"
    "thai|indonesian|romanian|hungarian|bengali|urdu|persian|malay|tagalog|swahili|catalan|basque|galician|welsh|irish|"
    "estonian|latvian|lithuanian|slovak|slovenian|croatian|serbian|bulgarian|icelandic|tamil|telugu|marathi|afrikaans|zulu"
)
_LANGUAGE = _rx(rf"\b(?:{_LANGUAGES})\b|\bmulti-?lingual\b")


_CODES = {"EN": "english", "DE": "german", "FR": "french", "ES": "spanish", "IT": "italian", "PT": "portuguese",
          "NL": "dutch", "PL": "polish", "SV": "swedish", "DA": "danish", "FI": "finnish", "JA": "japanese",
          "ZH": "chinese", "KO": "korean", "AR": "arabic", "RU": "russian", "TR": "turkish",
          "CS": "czech", "EL": "greek", "HE": "hebrew", "HI": "hindi"}
_CODE = "|".join(_CODES)
# two or more language codes joined as a list or a translation direction: "EN->DE/FR/ES", "DE, FR and IT"
_CODE_LIST = lazy_compile(rf"\b(?:{_CODE})(?:\s*(?:->|→|>|/|,|\band\b|\bto\b)\s*(?:{_CODE})\b)+")


_ENDONYMS = {"deutsch": "german", "françai": "french", "español": "spanish", "espanol": "spanish", "castellano": "spanish",
             "italian": "italian", "portugu": "portuguese", "nederlands": "dutch", "polsk": "polish", "svensk": "swedish",
             "catal": "catalan", "euskera": "basque", "gallego": "galician", "galego": "galician"}
_ENDONYM = _rx(r"\b(?:deutsch(?:e[nrms]?)?|françai(?:s|se|ses)|espa[ñn]ol(?:a|es|as)?|castellano|italian[oa]|"
               r"portugu[eê]s(?:a)?|nederlandse?|polski|svenska|catal[aàá]n?|euskera|gallego|galego)\b")


def _languages(acc: Reading) -> list[str]:
    found: list[str] = []
    for clause in acc.clauses:
        for match in _LANGUAGE.finditer(clause.text):
            name = match.group(0).replace("-", "")
            if name not in found and not _negated(clause, match):
                found.append(name)
    for clause in acc.clauses:  # a language named in its own tongue: "deutschen Handbücher", "en español"
        for match in _ENDONYM.finditer(clause.text):
            name = next(n for stem, n in _ENDONYMS.items() if match.group(0).startswith(stem))
            if name not in found and not _negated(clause, match):
                found.append(name)
    for match in _CODE_LIST.finditer(acc.text):
        for code in re.findall(rf"\b(?:{_CODE})\b", match.group(0)):
            if _CODES[code] not in found:
                found.append(_CODES[code])
    if len(found) < 2 and "multilingual" not in found and _MANY_LANGUAGES.search(acc.low):
        found.append("multilingual")  # "9 language pairs", "in 14 languages": several, unnamed
    return found


_MANY_LANGUAGES = _rx(
    rf"\b(?:(?:{_NUM}|several|many|multiple|all (?:our|the))\s+(?:language pairs|languages|locales)|language pairs|"
    r"multilingual|multi-lingual|mehrsprachig\w*)\b"
)


_DOCUMENT_TYPES = [
    ("pdf", r"\bpdfs?\b"), ("html", r"\bhtml\b|\bweb ?pages?\b|\bwebsites?\b"), ("scanned", r"\bscann?ed\b|\bscans\b|\bocr\b|\bhandwritten\b|\bfax(?:es|ed)?\b|\bimage-only\b|"
                r"\b(?:ein)?gescannt\w*|\bscann[ée]s?\b|\bnumérisés?\b|\bescanead[oa]s\b|\bscansionat[ie]\b|\bdigitalizad[oa]s\b|\bgescand\b"),
    ("confluence", r"\bconfluence\b"), ("markdown", r"\bmarkdown\b|\.md\b"),
    ("word", r"\bdocx?\b|\bword (?:documents?|files?|docs?)\b|\bms word\b"),
    ("slides", r"\bslides?\b|\bpptx?\b|\bpowerpoints?\b|\bslide decks?\b"), ("tickets", r"\btickets?\b|\bzendesk\b"),
    ("email", r"\be-?mails?\b"), ("code", r"\bsource code\b|\bcode ?base\b|\brepositor(?:y|ies)\b|\bcode files\b|\bmono-?repos?\b|\bcode assistant\b"),
    ("spreadsheets", r"\bspreadsheets?\b|\bcsvs?\b|\bexcel\b|\bxlsx\b"), ("manuals", r"\bmanuals?\b"),
    ("contracts", r"\bcontracts?\b"), ("transcripts", r"\btranscripts?\b|\bcall recordings?\b"),
    ("notes", r"\bnotes\b"),
    ("invoices", r"\binvoices?\b|\breceipts?\b|\bpurchase orders?\b|\bbills? of lading\b|\bdelivery notes\b"),
    ("forms", r"\b(?:claim|application|tax|intake|insurance|paper) forms?\b"),
    # answers that sit in tables ("misses anything that sits in tables", "spec tables and figures")
    ("tables", r"\b(?:in|inside|within|from) (?:the |their |our |those )?tables\b|\btables? (?:and|&|or) (?:figures|charts|diagrams)\b|"
               r"\b(?:spec(?:ification)?|pricing|rate|parts?) tables\b"),
]
_DOCUMENT_TYPE_RX = [(name, _rx(p)) for name, p in _DOCUMENT_TYPES]


def _document_types(acc: Reading) -> list[str]:
    found: list[str] = []
    for name, pattern in _DOCUMENT_TYPE_RX:
        if any(not _negated(c, m) for c in acc.clauses for m in pattern.finditer(c.text)):
            found.append(name)
    return found


# what the data is: a pipeline over sensor readings, photos, call recordings or a vector index differs at
# every stage (ingestion, checks, features, splits, retention); each kind is quoted from the request
_DATA_KINDS = [
    ("time_series", r"time[- ]?series|sensors?(?! team)|telemetry|smart[- ]?meters?|meter readings?|(?:sensor|meter|probe|gauge) "
                    r"(?:data|readings?|values|measurements)|readings every|scada|\biot\b|mqtt|opc[- ]?ua|vibration|"
                    r"weather stations?|accelerometers?|zeitreihen?|messwerte\w*|sensoren|capteurs?|s[ée]ries? temporel\w*|"
                    r"series? temporal\w*|sensores|sensori|serie temporali|meetwaarden|metingen"),
    ("images", r"(?<!container )(?<!docker )(?<!base )(?<!os )(?<!vm )(?<!disk )(?<!machine )images?\b(?! (?:digests?|tags?|registry|registries|builds?|layers?|pulls?))|photos?\b|"
               r"photographs?|pictures|imagery|(?:satellite|aerial|drone) (?:images?|imagery|photos?|scenes|tiles)|x-?rays?|"
               r"\bdicom\b|radiology|(?:ct|mri|pet|retinal|medical) (?:scans?|images?)|microscopy|whole[- ]slide|"
               r"bilder\b|fotos?\b|immagini|im[áa]genes|imagens|afbeeldingen|photographies|aufnahmen der kamera"),
    ("video", r"(?:videos?|v[íi]d[ée]os?)\b(?! (?:platform|games?|streaming|service|conferenc\w*|calls?|on demand|views?|plays?))|"
              r"footage|cctv|(?:camera|video) (?:streams?|feeds?)\b(?!ing)|dashcams?|body ?cams?"),
    ("audio", r"audio|(?:call|voice|phone|meeting|interview|radio)[- ]recordings?|recorded (?:calls|meetings|phone conversations)|"
              r"recordings|voice (?:notes|messages|memos|calls)|speech[- ]to[- ]text|speech recognition|\basr\b|podcasts?|"
              r"phone calls|sprachaufnahmen|aufzeichnungen|enregistrements|grabaciones|grava[çc][õo]es|registrazioni|opnames"),
    ("geospatial", r"\bgps\b|geo[- ]?spatial|geolocation|lat(?:itude)?[/ ,]+lon(?:gitude)?|(?:vehicle|vessel|gps|movement) "
                   r"trajector(?:y|ies)|map[- ]matching|"
                   r"road segments?|\bais\b (?:messages|positions|data)|vessel positions"),
    # a pipeline that writes vectors: "chunk and embed them", "re-embed 30M reviews", "keep the search index fresh"
    ("embeddings", r"re-?embed\w*|embed(?:s|ded)?\b(?! (?:devices?|systems?|boards?|linux|c\b|in\b|into\b))|"
                   r"embedding (?:pipeline|job|refresh|backfill|generation|runs?)|embeddings? refresh|re-?index\w*|"
                   r"(?:search|vector) index"),
]
_DATA_KIND_RX = [(name, _rx(rf"\b(?:{pattern})")) for name, pattern in _DATA_KINDS]


def _data_kinds(acc: Reading) -> None:
    for name, pattern in _DATA_KIND_RX:
        for clause in acc.clauses:
            match = next((m for m in pattern.finditer(clause.text) if not _negated(clause, m)), None)
            if match is not None:
                acc.add("data_kinds", name, acc.quote(*clause.span(match)))
                break


_MS_WORD = lazy_compile(r"(?<![.!?:]\s)(?<!^)\bWord\b(?!\s+(?:of|for|count|limit|embeddings?)\b)")


def _languages_and_types(acc: Reading) -> None:
    acc.lists["languages"] = _languages(acc)
    types = _document_types(acc)
    if "word" not in types and _MS_WORD.search(acc.text):
        types.append("word")  # "PDF and Word": capitalised mid-sentence, the editor
    acc.lists["document_types"] = types


# --------------------------------------------------------------------------- mode

_REAL_TIME = _rx(
    r"\b(?:api|endpoint|online (?:inference|serving|scoring|predictions?)|real[- ]time(?! stream)|low[- ]latency|"
    r"synchronous|interactive|on[- ]demand)\b"
)
_NOT_SERVING_API = _rx(r"\b(?:external|third[- ]party|hosted|openai|provider|vendor|saas|no)\s+$|"
                       # "without standing up 300 separate endpoints", "rather than an API"
                       r"\b(?:without|instead of|rather than|no need for)\s+(?:[\w-]+\s+){0,4}$")
_STREAMING = _rx(
    r"\b(?:streaming|event streams?|real[- ]time streams?|stream processing|data streams?|near[- ]real[- ]time|"
    r"(?:under|within|below|less than|at most)\s+(?:a|one|\d+|a few|\w+)\s+(?:minutes?|mins?|seconds?|secs?)\s+(?:of\s+)?"
    r"(?:freshness|staleness|lag|delay|end-to-end)|(?:freshness|lag|staleness)\s+(?:of\s+)?(?:under|below|within|<)\s*"
    r"(?:a|one|\d+)\s*(?:minutes?|mins?|seconds?|secs?|s)\b|"
    # "features fresh within 1 minute", "up to date within 30 seconds"
    r"(?:fresh|up[- ]to[- ]date|available)\s+(?:within|in|under|after)\s+(?:a|one|\d+)\s*(?:minutes?|mins?|seconds?|secs?|s)\b|"
    r"(?:freshness|lag|staleness)\s+(?:of\s+)?(?:under|below|within|<)\s*"
    r"(?:a|one|\d+)\s*(?:minutes?|mins?|seconds?|secs?|s)\b)")
_BATCH_MODE = _rx(
    r"\b(?:nightly|every night|each night|once (?:a|per|every) night|overnight|batch (?:scoring|inference|predictions?|jobs?|process\w*)|"
    r"(?:scored|run|computed|predicted)\s+(?:on\s+)?the\s+(?:evening|night|day)\s+before|every evening|each evening|"
    r"offline (?:scoring|inference|predictions?)|once a day|(?:written|scored|run|runs|refreshed|updated|computed)\s+(?:back\s+)?(?:daily|weekly|hourly)|"
    r"daily (?:batch|job|scoring|run)|once a (?:week|month)|one-off|one-time (?:job|run|batch)|backfill|batch|"
    # a population scored on a clock: "scores every ICU patient every 5 minutes"
    r"(?:scor\w*|re-?scor\w*|predict\w*)\s+(?:\w+\s+){0,4}?every\s+(?:\d+|few|five|ten|fifteen|thirty)\s+(?:minutes?|mins?|hours?)|"
    # no one waits for the answer: "transcripts not urgent (next morning is fine)", "by the next day is ok"
    r"not (?:urgent|time[- ]critical|latency[- ]sensitive)|(?:next|the following) (?:morning|day)|within (?:a day|24 ?h(?:ours)?)|"
    r"(?:overnight|next[- ]day|same[- ]day) (?:is )?(?:fine|ok|okay|enough)|"
    # a forecast over a horizon is produced ahead of time, not per request
    r"forecast\w*\s+(?:[\w-]+\s+){0,5}?(?:for|over) the next \d+ (?:hours|days|weeks|months))\b"
)
_TRAINING = _rx(r"\b(?:re-?train\w*|train\w*|fine-?tun\w*|re-?index\w*|ingest\w*)\b")


def _mode(acc: Reading) -> None:
    candidates: list[tuple[int, str, str]] = []
    for clause in acc.clauses:
        for match in _REAL_TIME.finditer(clause.text):
            if not _NOT_SERVING_API.search(clause.text[: match.start()]) and not _NO_ONE_WAITS.search(
                    clause.text[: match.start()]):
                candidates.append((clause.span(match)[0], "real_time", acc.quote(*clause.span(match))))
        for match in _STREAMING.finditer(clause.text):
            candidates.append((clause.span(match)[0], "streaming", acc.quote(*clause.span(match))))
        if not _TRAINING.search(clause.text) and not _MODEL_UPDATES.search(clause.text):
            for match in _BATCH_MODE.finditer(clause.text):
                candidates.append((clause.span(match)[0], "batch", acc.quote(*clause.span(match))))
    hint = acc.notes.get("streaming")
    if hint is not None:
        candidates.append((acc.text.find(hint), "streaming", hint))
    for name, value in (("latency", "real_time"), ("peak_rps", "real_time")):
        fact = acc.facts.get(name)
        if name == "latency" and fact is not None and "online_features" in acc.facts and _LOOKUP.search(
                acc.low[acc.text.find(fact.quote):][:60]):
            continue  # "a 50 ms online lookup" times the feature store's reads, not the pipeline's runs
        if fact is not None and fact.quote and not re.search(r"\bminutes?\b", fact.quote):
            candidates.append((acc.text.find(fact.quote), value, fact.quote))
    if candidates:
        _, value, quote = min(candidates)
        acc.put("mode", value, quote)
    # "scores 1.5M transactions a day ... p99 under 100 ms at 400 TPS": a daily volume with a
    # request latency or a peak rate is traffic to serve, unless batch words say otherwise
    served = [c for c in candidates if c[1] == "real_time" and c[2] in _fact_quotes(acc, ("latency", "peak_rps"))]
    if "batch_by_volume" in acc.notes and served and not any(c[1] == "batch" for c in candidates):
        acc.put("mode", "real_time", served[0][2], replace=True)


_LOOKUP = _rx(r"^[^.;]*?\b(?:lookups?|look-ups?|reads?|online)\b")
# real time said to be unneeded: "nobody will call it in real time", "there is no need for a real-time API"
_NO_ONE_WAITS = _rx(r"\b(?:nobody|no one|never|no need|not needed|doesn't need|does not need|don't need|do not need)\b[^,;.]{0,30}$|"
                    r"\bno\s+(?:\w+\s+)?$")
# how often new model versions ship is no schedule of the work itself: "model updates can be shipped once a month"
_MODEL_UPDATES = _rx(r"\b(?:model\s+)?(?:updates?|releases?|versions?)\s+(?:\w+\s+){0,3}?(?:shipped|released|pushed|rolled\s+out|deployed)\b")


def _fact_quotes(acc: Reading, names: tuple[str, ...]) -> set[str]:
    return {fact.quote for name in names if (fact := acc.facts.get(name)) is not None and fact.quote}


# --------------------------------------------------------------------------- other figures

_FIGURE = _rx(rf"(?P<cur>[$€£]\s?)?(?P<n>{_NUM})(?P<pct>\s?%|x\b|-[a-z]+\b)?")
_VERSION_WORDS = _rx(
    r"\b(?:python|java|node|gpt|llama|version|v|release|cuda|spark|ubuntu|postgres|postgresql|mysql|iso|soc|pci|windows|ios|"
    r"android|claude|gemini|mistral|qwen|phi|gemma|rtx|gtx|tls|http|ipv|es|php|ruby|go|rust|scala|jdk|\.net|pytorch|"
    r"tensorflow|tf|torch|transformers|level|tier|phase|stage|step|section|q|top-|kafka|elasticsearch|opensearch|"
    r"redis|airflow|kubernetes|llama-|hl7|fhir|r)\s?$"
)
_STOP = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "per", "with", "by", "at", "from", "each",
         "every", "is", "are", "was", "be", "it", "that", "this", "we", "our", "but", "so", "as", "into", "than",
         "if", "then", "not", "no", "should", "must", "can", "will", "would", "across", "which", "who", "about"}
_YEAR_BEFORE = _rx(r"\b(?:in|since|by|until|before|after|year|fy|during|through|early|late|mid|q[1-4])\s+$")
_NEGATED_NUMBER = _rx(r"\b(?:not|instead of|rather than|no longer)\s+(?:[$€£]\s?)?$")
_NEXT_WORD = _rx(r"[a-z][\w/-]*")


def _is_version_or_year(acc: Reading, match: re.Match[str]) -> bool:
    before = acc.low[max(0, match.start() - 15) : match.start()]
    if _VERSION_WORDS.search(before) or _NEGATED_NUMBER.search(before):
        return True
    raw = match.group("n")
    after = acc.low[match.end() : match.end() + 15]
    if re.fullmatch(r"(?:19[5-9]\d|20\d\d)[-–](?:19[5-9]\d|20\d\d)", raw):
        return True
    if re.fullmatch(r"(?:19[5-9]\d|20\d\d)", raw) and not match.group("cur"):
        if _YEAR_BEFORE.search(before):
            return True
        word = _NEXT_WORD.match(after.lstrip())
        return word is None or word.group(0).lower() in _STOP or not after.startswith(" ")
    if re.match(r"\s?(?:am|pm)\b|/7\b", after, re.I):
        return True
    return False


_FOLLOWING_WORD = lazy_compile(r" ([a-zA-Z][\w-]*)")
_SUPERLATIVE = _rx(r"\b(?:[a-z]+est|top|main|key|biggest|first|last)\b")
_FIGURE_PERIOD = _rx(r"(?:\s*/\s*|\s+(?:per|a|an|each|every)\s+)(?:second|sec|s|minute|min|hour|hr|h|day|d|week|wk|month|mo|year|yr)\b")
_PRECEDING_WORDS = lazy_compile(r"(?:[a-zA-Z][\w'-]*\s+){1,2}$")


def _figure_quote(acc: Reading, match: re.Match[str]) -> str:
    """The figure with the noun after it ("3 regions"), else the words before it ("uptime of 99.9%")."""
    start, end = match.start(), match.end()
    period = _FIGURE_PERIOD.match(acc.low, end)
    words = 0
    if period:
        end = period.end()
    while period is None and words < 2:
        word = _FOLLOWING_WORD.match(acc.text, end)
        if word is None or word.group(1).lower() in _STOP:
            break
        end, words = word.end(), words + 1
    if words == 0:
        before = _PRECEDING_WORDS.search(acc.text[max(0, start - 30) : start])
        start = start - len(before.group(0)) if before else start
    return acc.quote(start, end)


def _other_figures(acc: Reading) -> list[str]:
    out: list[str] = []
    for match in _FIGURE.finditer(acc.low):
        if not acc.free(match.span("n")) or _is_version_or_year(acc, match):
            continue
        if re.fullmatch(r"[a-z]+", match.group("n").strip(), re.I):
            continue
        quote = _figure_quote(acc, match)
        if quote not in out:
            out.append(quote)
    return out


# --------------------------------------------------------------------------- entry points

_DIGIT = lazy_compile(r"\d")
_TEAM_GATE = _rx(rf"\d|{_WNUM}|\bteam\b|\bsolo\b|\bjust me\b|\bonly me\b|\bone-person\b|\bthe only\b|\bsingle developer\b|\bby myself\b|\bmy (?:own |personal |side[- ]?|hobby |pet )project\b|\bmy kaggle\b|\bstudent\b|\bmy (?:thesis|dissertation|coursework|prof|professor|supervisor)\b")
_NUMBER_GATE = _rx(rf"\d|{_WNUM}")  # a clause with a number, in digits or in words
_HARDWARE_GATE = _rx(r"\d|gpu|cpu|\b(?:a|an|single|one)\s+(?:nvidia\s+)?[ahlt]\d")
_RETENTION_GATE = _rx(rf"(?:\d|{_WNUM})[-\s]?(?:days?|weeks?|months?|years?)\b")
# Each step, with a cheap test a clause must pass before the step's patterns run on it.
_NUMERIC_STEPS: tuple[tuple[Callable[[Reading, _Clause], None], re.Pattern[str]], ...] = (
    (_labelled, _NUMBER_GATE), (_concurrency, _DIGIT), (_runs, _NUMBER_GATE), (_metric_targets, _DIGIT), (_money, _DIGIT), (_hardware, _HARDWARE_GATE), (_experiment, _DIGIT),
    (_experiment_points, _DIGIT), (_latency, _rx(r"\d|sub-?second")), (_retention, _RETENTION_GATE), (_batch, _DIGIT),
    (_events, _DIGIT), (_uplink, _rx(r"bit/s|bps\b")), (_context_tokens, _rx(r"token|context")), (_media_hours, _rx(r"\bh(?:ou)?rs?\b|\d\s?h\b")), (_data_volume, _DIGIT), (_requests, _DIGIT), (_items_handled, _DIGIT), (_team, _TEAM_GATE), (_users, _DIGIT),
    (_corpus, _DIGIT), (_media_volume, _DIGIT),
)
_WHOLE_TEXT_STEPS = (_model, _deployment, _flag("no_external_apis", _NO_EXTERNAL), _flag("stack_only", _STACK_ONLY), _stack_only_approved,
                     _affirmed_flag("live_traffic", _LIVE), _flag("open_source_only", _OPEN_SOURCE_ONLY),
                     _flag("european_providers_only", _EUROPEAN_PROVIDERS),
                     _affirmed_flag("monthly_budget_usd", _NO_SPEND, 0.0),
                     _affirmed_flag("online_features", _ONLINE_FEATURES), _affirmed_flag("edge_devices", _EDGE),
                     _affirmed_flag("human_labelling", _LABELLING), _affirmed_flag("tool_calling", _TOOL_CALLING), _affirmed_flag("multi_tenant", _TENANTS),
                     _affirmed_flag("serverless_only", _SERVERLESS),
                     _vague_runs, _apple_memory, _residency, _cloud_region, _cloud_from_services, _compliance, _stack, _sources, _destinations, _languages_and_types, _data_kinds, _quality_criteria)


def read(text: str) -> Reading:
    """Read a text: the stated facts found and which number spans they took."""
    normalised = _normalise(text)
    low = _lower(normalised)
    language = request_language(low)
    low = _THOUSANDS_BEFORE_COUNT.sub(lambda m: m.group(0).replace(".", ","), _as_english(low, language))
    low = _THOUSANDS_SPACED.sub(lambda m: re.sub(r"[ \u00a0\u202f]", ",", m.group(0)), low)
    low = _THOUSANDS_APOSTROPHE.sub(lambda m: re.sub(r"['’]", ",", m.group(0)), low)
    acc = Reading(text=normalised, low=low, clauses=_clauses(low))
    if language is not None:
        acc.notes["language"] = language
    for step in _WHOLE_TEXT_STEPS[:1]:
        step(acc)  # model sizes first: "Llama 3 70B" is not 70 billion of anything
    _positive_rate(acc)  # "1 in 500 claims" is a share, not 500 claims
    _fleet_sampling(acc)  # "200 turbines (1 kHz sampling)": before the rules that read either number alone
    for numeric, gate in _NUMERIC_STEPS:
        for clause in acc.clauses:
            if gate.search(clause.text):
                numeric(acc, clause)
    _relative_effect(acc)
    _model_count(acc)
    for step in _WHOLE_TEXT_STEPS[1:]:
        step(acc)
    _mode(acc)
    return acc


def to_requirements(acc: Reading) -> Requirements:
    """The :class:`Requirements` of a reading; untaken figures go to ``other_figures``."""
    fields = set(Requirements.model_fields)
    values: dict[str, Any] = {k: v for k, v in acc.facts.items() if k in fields}
    values.update({k: v for k, v in acc.lists.items() if k in fields})
    values["hardware"] = _hardware_fact(acc)
    values["other_figures"] = _other_figures(acc)
    values["request_language"] = acc.notes.get("language")
    if any(name in acc.facts for name in ("monthly_budget_usd", "current_monthly_spend_usd")):
        values["currency"] = acc.notes.get("currency", "USD")
    return Requirements(**values)


def named_stack(text: str) -> list[str]:
    """Stack components named in ``text`` (negated or not): "drop the Redis cache" -> ["redis"]."""
    out: list[str] = []
    for match in _STACK_RX.finditer(text.lower()):
        name = next(_STACK[i][0] for i in range(len(_STACK)) if match.group(f"s{i}"))
        if name not in out:
            out.append(name)
    return out


def negated_stack(acc: Reading) -> list[tuple[str, str]]:
    """Stack components a reading names only to exclude ("with no Redis"), each with its clause."""
    out: list[tuple[str, str]] = []
    for clause in acc.clauses:
        for match in _STACK_RX.finditer(clause.text):
            if _negated(clause, match):
                name = next(_STACK[i][0] for i in range(len(_STACK)) if match.group(f"s{i}"))
                out.append((name, acc.original(clause).strip(" ,.;:?!")))
    return out


def named_compliance(text: str) -> list[str]:
    """Compliance regimes named in ``text`` (negated or not)."""
    found = [name for name, pattern in _COMPLIANCE_PATTERNS if pattern.search(text.lower())]
    if "hipaa" not in found and _PHI.search(text):
        found.append("hipaa")
    return found

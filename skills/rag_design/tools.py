"""RAG-design tools: chunking per document type and index sizing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.requirements import AUDIO_HOURS, Requirements
from mlarchitect.skills.architecture import architecture_tool
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool
from mlarchitect.skills.catalogue import load_catalogue
from mlarchitect.tool_result import PlannedCall, find_result

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "rag-design"

# parser, chunk tokens, overlap tokens, splitting rule
_CHUNKING: dict[str, tuple[str, int, int, str]] = {
    "pdf": ("pypdf / pdfplumber (layout-aware; tables extracted separately)", 512, 64,
            "split on headings and paragraphs recovered from the layout; never across pages of different sections"),
    "html": ("BeautifulSoup / trafilatura (strip navigation and boilerplate)", 400, 50,
             "split on h1-h3 headings, keep the heading path in every chunk"),
    "confluence": ("Confluence export API (storage format -> HTML -> text)", 400, 50,
                   "split on page headings; one page never shares a chunk with another; keep space and page title"),
    "markdown": ("a Markdown parser (headings as structure)", 400, 50, "split on headings, keep code blocks whole"),
    "word": ("python-docx / unstructured", 500, 64, "split on heading styles"),
    "slides": ("python-pptx", 250, 0, "one chunk per slide with its title and speaker notes"),
    "tickets": ("the ticketing system's API (JSON)", 300, 30,
                "one chunk per ticket thread or resolution, status and product as metadata"),
    "email": ("an email parser (strip quoted replies and signatures)", 300, 30, "one chunk per message"),
    "tables": ("a layout-aware parser that keeps each table whole (Docling / Unstructured)", 400, 0,
               "one chunk per table with its caption and header row; long tables split by rows, the header repeated"),
    "code": ("tree-sitter", 400, 0, "one chunk per function or class with its file path"),
    "spreadsheets": ("pandas / openpyxl", 300, 0, "row groups with the header row repeated in each chunk"),
    "scanned": ("OCR (Tesseract or a managed OCR service) before parsing", 512, 64,
                "as PDF after OCR; keep the OCR confidence as metadata and drop low-confidence pages"),
    "manuals": ("the source format's parser (PDF/HTML), keeping the section hierarchy", 500, 64,
                "split on the manual's section numbering; keep product and version as metadata"),
    "contracts": ("pdfplumber / docx parser with clause numbering", 600, 80,
                  "one chunk per clause or sub-clause; keep clause id, party and effective date as metadata"),
    "transcripts": ("the transcript format (VTT/JSON)", 300, 60, "windows of speaker turns"),
}
_DEFAULT = ("a recursive character splitter", 500, 75, "split on paragraphs, then sentences")

TOKENS_PER_UNIT = {"pages": 500, "page": 500, "slides": 120, "tickets": 400, "emails": 350,
                   AUDIO_HOURS: 9_000}  # about 150 spoken words a minute
DEFAULT_TOKENS_PER_DOCUMENT = 2000


class ChunkingArgs(BaseModel):
    document_types: list[str] = Field(
        default_factory=list,
        description="Document types in the corpus, e.g. pdf, html, confluence, markdown, tickets, contracts.",
    )


def recommend_chunking(args: ChunkingArgs) -> ToolResult:
    types = [t.lower() for t in args.document_types] or ["default"]
    recs = []
    table = {}
    for kind in types:
        parser, size, overlap, rule = _CHUNKING.get(kind, _DEFAULT)
        ratio = overlap / size if size else 0
        table[kind] = {"parser": parser, "chunk_tokens": size, "overlap_tokens": overlap}
        recs.append(
            f"{kind}: parse with {parser}; {rule}; chunks of ~{size} tokens with {overlap}-token overlap "
            f"({ratio:.0%} overlap between chunks)"
        )
    return ToolResult(
        skill=SKILL,
        tool="rag_recommend_chunking",
        summary=f"Chunking plan for {', '.join(types)}",
        recommendations=recs,
        data={"chunking": table},
    )


QUANTIZE_ABOVE_GB = 8.0  # vector memory above which int8 quantization pays for its small loss of recall


class IndexSizeArgs(BaseModel):
    documents: int = Field(gt=0, description="Number of documents or pages in the corpus.")
    unit: str = Field(default="documents", description="What was counted: pages, documents, tickets ...")
    tokens_per_unit: int | None = Field(default=None, gt=0, description="Average tokens per unit.")
    chunk_tokens: int = Field(default=500, gt=50)
    overlap_tokens: int = Field(default=64, ge=0)
    dimensions: int = Field(default=1536, gt=0, description="Embedding dimensions.")
    bytes_per_dimension: int = Field(default=4, description="4 = float32, 1 = int8 quantized.")
    stated_inputs: list[str] = Field(default_factory=list, description="Which arguments the request stated.")


def size_index(args: IndexSizeArgs, ctx: SkillContext) -> ToolResult:
    per_unit = args.tokens_per_unit or TOKENS_PER_UNIT.get(args.unit.lower(), DEFAULT_TOKENS_PER_DOCUMENT)
    total_tokens = args.documents * per_unit
    stride = max(args.chunk_tokens - args.overlap_tokens, 1)
    chunks = math.ceil(total_tokens / stride)
    vector_gb = chunks * args.dimensions * args.bytes_per_dimension / 1e9
    hnsw_gb = chunks * 16 * 2 * 4 / 1e9  # M=16 links per layer-0 node, 4-byte ids
    int8_gb = chunks * args.dimensions / 1e9
    stated = [n for n in ("documents", "tokens_per_unit") if n in args.stated_inputs]
    calcs = [
        Calculation(name="Corpus tokens", value=total_tokens, unit="tokens",
                    formula=(f"{args.documents:,} {args.unit} × {per_unit:,} tokens"
                             f"{'' if 'tokens_per_unit' in args.stated_inputs else ' (assumed per unit)'} = {total_tokens:,}"),
                    inputs={"documents": args.documents, "tokens_per_unit": per_unit}, from_request=stated),
        Calculation(name="Chunks", value=chunks, unit="chunks",
                    formula=f"{total_tokens:,} tokens ÷ ({args.chunk_tokens} − {args.overlap_tokens} overlap) = {chunks:,}",
                    inputs={"chunk_tokens": args.chunk_tokens, "overlap_tokens": args.overlap_tokens}),
        Calculation(name="Vector memory (float32)", value=round(vector_gb + hnsw_gb, 3), unit="GB",
                    formula=(f"{chunks:,} × {args.dimensions} dims × {args.bytes_per_dimension} B = {vector_gb:.2f} GB "
                             f"+ HNSW links {chunks:,} × 128 B = {hnsw_gb:.2f} GB"),
                    inputs={"dimensions": args.dimensions}),
        Calculation(name="Vector memory with int8 quantization", value=round(int8_gb + hnsw_gb, 3), unit="GB",
                    formula=f"{chunks:,} × {args.dimensions} dims × 1 B + links = {int8_gb + hnsw_gb:.2f} GB"),
    ]
    return ToolResult(
        skill=SKILL,
        tool="rag_size_index",
        summary=f"{chunks:,} chunks, ≈{vector_gb + hnsw_gb:.2f} GB of vectors in RAM",
        recommendations=[
            f"{chunks:,} chunks need ≈{vector_gb + hnsw_gb:.2f} GB of vector memory at {args.dimensions} dimensions.",
            (f"Quantize the vectors to int8 ({vector_gb + hnsw_gb:.1f} → {int8_gb + hnsw_gb:.1f} GB); re-score the top "
             "candidates in full precision." if vector_gb + hnsw_gb > QUANTIZE_ABOVE_GB else
             f"Keep float32 vectors: {vector_gb + hnsw_gb:.2f} GB fits in memory; int8 would only cost recall."),
        ],
        calculations=calcs,
        data={"chunks": chunks, "vector_gb": round(vector_gb + hnsw_gb, 3), "total_tokens": total_tokens,
              "embed_tokens": chunks * args.chunk_tokens},
    )


class TranscriptionArgs(BaseModel):
    audio_hours_per_day: float = Field(gt=0)
    realtime_factor: float = Field(default=30.0, gt=0, description="Audio hours one GPU transcribes per hour.")
    tokens_per_hour: int = Field(default=9_000, gt=0)
    stated_inputs: list[str] = Field(default_factory=list)


def size_transcription(args: TranscriptionArgs) -> ToolResult:
    """GPU time and transcript volume for the recordings a day brings."""
    from mlarchitect.render_markdown import human_number

    gpu_hours = args.audio_hours_per_day / args.realtime_factor
    hours = human_number(round(args.audio_hours_per_day, 1))
    tokens = args.audio_hours_per_day * args.tokens_per_hour
    stated = ["audio_hours_per_day"] if "audio_hours_per_day" in args.stated_inputs else []
    calcs = [
        Calculation(name="GPU time to transcribe a day's audio", value=round(gpu_hours, 2), unit="GPU hours/day",
                    formula=(f"{hours} h of audio/day ÷ {args.realtime_factor:g}× real time "
                             f"(assumed for large-v3 int8 on one GPU) = {gpu_hours:,.2f} GPU h/day"),
                    inputs={"audio_hours_per_day": args.audio_hours_per_day}, from_request=stated),
        Calculation(name="Transcript added to the index", value=round(tokens), unit="tokens/day",
                    formula=f"{hours} h × {args.tokens_per_hour:,} tokens/h = {tokens:,.0f} tokens/day",
                    inputs={"tokens_per_hour": args.tokens_per_hour}),
    ]
    advice = (f"Transcribe in a nightly GPU batch ({gpu_hours:,.1f} GPU hours for a day's {args.audio_hours_per_day:,.0f} h "
              "of audio) rather than keeping a GPU up all day; index each transcript as soon as it is done.")
    return ToolResult(skill=SKILL, tool="rag_size_transcription", summary=advice, recommendations=[advice],
                      calculations=calcs, data={"audio_hours_per_day": args.audio_hours_per_day,
                                                "gpu_hours_per_day": gpu_hours, "tokens_per_day": tokens})


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "rag", ctx, "retrieval-augmented generation (RAG)"),
        architecture_tool(SKILL, "rag", __package__, scale_fn=scales),
        skill_tool(SKILL, "rag_recommend_chunking",
                   "Recommend parser, chunk size and chunk overlap for each document type of a corpus.",
                   ChunkingArgs, recommend_chunking),
        skill_tool(SKILL, "rag_size_transcription",
                   "GPU time and transcript tokens for recordings to transcribe.",
                   TranscriptionArgs, size_transcription),
        skill_tool(SKILL, "rag_size_index",
                   "Size a vector index from the corpus size: tokens, chunks, vector memory, embedding cost.",
                   IndexSizeArgs, lambda a: size_index(a, ctx)),
    ]


EMBEDDING_DIMENSIONS = {"openai-small": 1536, "bge-m3-gpu": 1024, "bge-small-cpu": 384, "static-local": 256}
CHUNK_TOKENS, OVERLAP_TOKENS = 500, 64


def corpus_tokens(req: Requirements) -> float:
    if req.corpus is None:
        return 0.0
    unit = req.corpus.value.unit.lower()
    return req.corpus.value.amount * TOKENS_PER_UNIT.get(unit, DEFAULT_TOKENS_PER_DOCUMENT)


def scales(req: Requirements) -> dict[str, float]:
    """Workload sizes the catalogue's ``max_scale`` is tested against."""
    out = {"chunks": float(math.ceil(corpus_tokens(req) / (CHUNK_TOKENS - OVERLAP_TOKENS)))}
    if req.peak_rps is not None:  # a CPU generator answers one question at a time
        out["rps"] = req.peak_rps.value
    return out


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    """The sizing calls the offline engine makes for a RAG design (after the architecture)."""
    arch = find_result(results, "rag_design_architecture")
    if arch is None:
        return []
    calls = []
    if req.media_hours_per_day is not None and "audio" in req.kinds():
        calls.append(PlannedCall(name="rag_size_transcription", phase=1, args={
            "audio_hours_per_day": round(req.media_hours_per_day.value, 3),
            "stated_inputs": ["audio_hours_per_day"] if req.media_hours_per_day.stated else []}))
    if req.corpus is None:
        return calls
    chosen = set(arch.data.get("chosen", []))
    dims = next((d for o, d in EMBEDDING_DIMENSIONS.items() if o in chosen), 768)
    corpus = req.corpus
    args = {"documents": int(corpus.value.amount), "unit": corpus.value.unit, "dimensions": dims,
            "chunk_tokens": CHUNK_TOKENS, "overlap_tokens": OVERLAP_TOKENS,
            "stated_inputs": ["documents"] if corpus.stated else []}
    return [*calls, PlannedCall(name="rag_recommend_chunking", args={"document_types": req.document_types}, phase=1),
            PlannedCall(name="rag_size_index", args=args, phase=1)]


def gpu_memory(chosen: set[str]) -> dict[str, float]:
    catalogue = load_catalogue(__package__)
    return {o.id: o.gpu_memory_gb for slot in catalogue.slots.values() for o in slot.options
            if o.id in chosen and o.gpu_memory_gb}

"""A fixed sample digest for the docs: the golden-file test and the screenshot script use it.

Titles, abstracts, authors, arXiv ids and the DOI are real (abstracts from the seed papers in
/work/shared/data/seed-papers). Dates, feeds, reasons and links are made up for the sample; the
scores are those of a real run of the demo config. docs/digest-sample.* come from a real run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from recommender.digest.render import DigestContext, DigestEntry
from recommender.models import Paper, Reason, ScoredPaper

SAMPLE_DAY = date(2025, 2, 3)
SAMPLE_BASE_URL = "https://papersift.example.org"
SAMPLE_FEEDS = ["arxiv-cs-cl", "arxiv-cs-lg", "hf-daily"]
SAMPLE_CONSIDERED = 412


@dataclass(frozen=True)
class _SamplePaper:
    arxiv_id: str
    title: str
    authors: list[str]
    doi: str | None
    categories: list[str]
    sources: list[str]
    published: str
    abstract: str


_PAPERS = [
    _SamplePaper(
        arxiv_id="2206.02369",
        title=(
            "Learning to Break the Loop: Analyzing and Mitigating Repetitions for Neural "
            "Text Generation"
        ),
        authors=["Jin Xu", "Xiaojiang Liu", "Jianhao Yan", "Deng Cai", "Huayang Li", "Jian Li"],
        doi=None,
        categories=["cs.CL"],
        sources=["arxiv-cs-cl"],
        published="2025-02-02",
        abstract=(
            "While large-scale neural language models, such as GPT2 and BART, have achieved "
            "impressive results on various text generation tasks, they tend to get stuck in "
            "undesirable sentence-level loops with maximization-based decoding algorithms (e.g., "
            "greedy search). This phenomenon is counter-intuitive since there are few consecutive "
            "sentence-level repetitions in human corpora (e.g., 0.02\\% in Wikitext-103). To "
            "investigate the underlying reasons for generating consecutive sentence-level "
            "repetitions, we study the relationship between the probabilities of the repetitive "
            "tokens and their previous repetitions in the context. Through our quantitative "
            "experiments, we find that 1) Language models have a preference to repeat the previous"
            " sentence; 2) The sentence-level repetitions have a self-reinforcement effect: the "
            "more times a sentence is repeated in the context, the higher the probability of "
            "continuing to generate that sentence; 3) The sentences with higher initial "
            "probabilities usually have a stronger self-reinforcement effect. Motivated by our "
            "findings, we propose a simple and effective training method DITTO (PseuDo-RepetITion "
            "PenalizaTiOn), where the model learns to penalize probabilities of sentence-level "
            "repetitions from pseudo repetitive data. Although our method is motivated by "
            "mitigating repetitions, experiments show that DITTO not only mitigates the repetition"
            " issue without sacrificing perplexity, but also achieves better generation quality. "
            "Extensive experiments on open-ended text generation (Wikitext-103) and text "
            "summarization (CNN/DailyMail) demonstrate the generality and effectiveness of our "
            "method."
        ),
    ),
    _SamplePaper(
        arxiv_id="2407.05483",
        title="Just read twice: closing the recall gap for recurrent language models",
        authors=[
            "Simran Arora",
            "Aman Timalsina",
            "Aaryan Singhal",
            "Benjamin Spector",
            "Sabri Eyuboglu",
            "Xinyi Zhao",
            "Ashish Rao",
            "Atri Rudra",
            "Christopher Ré",
        ],
        doi=None,
        categories=["cs.CL", "cs.LG"],
        sources=["arxiv-cs-cl", "hf-daily"],
        published="2025-02-02",
        abstract=(
            "Recurrent large language models that compete with Transformers in language modeling "
            "perplexity are emerging at a rapid rate (e.g., Mamba, RWKV). Excitingly, these "
            "architectures use a constant amount of memory during inference. However, due to the "
            "limited memory, recurrent LMs cannot recall and use all the information in long "
            "contexts leading to brittle in-context learning (ICL) quality. A key challenge for "
            "efficient LMs is selecting what information to store versus discard. In this work, we"
            " observe the order in which information is shown to the LM impacts the selection "
            "difficulty. To formalize this, we show that the hardness of information recall "
            "reduces to the hardness of a problem called set disjointness (SD), a quintessential "
            "problem in communication complexity that requires a streaming algorithm (e.g., "
            "recurrent model) to decide whether inputted sets are disjoint. We empirically and "
            "theoretically show that the recurrent memory required to solve SD changes with set "
            "order, i.e., whether the smaller set appears first in-context. Our analysis suggests,"
            " to mitigate the reliance on data order, we can put information in the right order "
            "in-context or process prompts non-causally. Towards that end, we propose: (1) "
            "JRT-Prompt, where context gets repeated multiple times in the prompt, effectively "
            "showing the model all data orders. This gives 11.0 pm 1.3 points of improvement, "
            "averaged across 16 recurrent LMs and the 6 ICL tasks, with 11.9times higher "
            "throughput than FlashAttention-2 for generation prefill (length 32k, batch size 16, "
            "NVidia H100). We then propose (2) JRT-RNN, which uses non-causal "
            "prefix-linear-attention to process prompts and provides 99% of Transformer quality at"
            " 360M params., 30B tokens and 96% at 1.3B params., 50B tokens on average across the "
            "tasks, with 19.2times higher throughput for prefill than FA2."
        ),
    ),
    _SamplePaper(
        arxiv_id="2310.02743",
        title="Reward Model Ensembles Help Mitigate Overoptimization",
        authors=["Thomas Coste", "Usman Anwar", "Robert Kirk", "David Krueger"],
        doi=None,
        categories=["cs.LG"],
        sources=["arxiv-cs-lg"],
        published="2025-01-31",
        abstract=(
            "Reinforcement learning from human feedback (RLHF) is a standard approach for "
            "fine-tuning large language models to follow instructions. As part of this process, "
            "learned reward models are used to approximately model human preferences. However, as "
            'imperfect representations of the "true" reward, these learned reward models are '
            "susceptible to overoptimization. Gao et al. (2023) studied this phenomenon in a "
            'synthetic human feedback setup with a significantly larger "gold" reward model acting'
            " as the true reward (instead of humans) and showed that overoptimization remains a "
            "persistent problem regardless of the size of the proxy reward model and training data"
            " used. Using a similar setup, we conduct a systematic study to evaluate the efficacy "
            "of using ensemble-based conservative optimization objectives, specifically worst-case"
            " optimization (WCO) and uncertainty-weighted optimization (UWO), for mitigating "
            "reward model overoptimization when using two optimization methods: (a) best-of-n "
            "sampling (BoN) (b) proximal policy optimization (PPO). We additionally extend the "
            "setup of Gao et al. (2023) to include 25% label noise to better mirror real-world "
            "conditions. Both with and without label noise, we find that conservative optimization"
            " practically eliminates overoptimization and improves performance by up to 70% for "
            "BoN sampling. For PPO, ensemble-based conservative optimization always reduces "
            "overoptimization and outperforms single reward model optimization. Moreover, "
            "combining it with a small KL penalty successfully prevents overoptimization at no "
            "performance cost. Overall, our results demonstrate that ensemble-based conservative "
            "optimization can effectively counter overoptimization."
        ),
    ),
    _SamplePaper(
        arxiv_id="2405.16444",
        title="CacheBlend: Fast Large Language Model Serving for RAG with Cached Knowledge Fusion",
        authors=[
            "Jiayi Yao",
            "Hanchen Li",
            "Yuhan Liu",
            "Siddhant Ray",
            "Yihua Cheng",
            "Qizheng Zhang",
            "Kuntai Du",
            "Shan Lu",
            "Junchen Jiang",
        ],
        doi="10.1145/3689031.3696098",
        categories=["cs.LG"],
        sources=["hf-daily"],
        published="2025-01-31",
        abstract=(
            "Large language models (LLMs) often incorporate multiple text chunks in their inputs "
            "to provide the necessary contexts. To speed up the prefill of the long LLM inputs, "
            "one can pre-compute the KV cache of a text and re-use the KV cache when the context "
            "is reused as the prefix of another LLM input. However, the reused text chunks are not"
            " always the input prefix, and when they are not, their precomputed KV caches cannot "
            "be directly used since they ignore the text's cross-attention with the preceding text"
            " in the LLM input. Thus, the benefits of reusing KV caches remain largely unrealized."
            " This paper tackles just one question: when an LLM input contains multiple text "
            "chunks, how to quickly combine their precomputed KV caches in order to achieve the "
            "same generation quality as the expensive full prefill (i.e., without reusing KV "
            "cache)? We present CacheBlend, a scheme that reuses the pre-computed KV caches, "
            "regardless prefix or not, and selectively recomputes the KV values of a small subset "
            "of tokens to partially update each reused KV cache. In the meantime,the small extra "
            "delay for recomputing some tokens can be pipelined with the retrieval of KV caches "
            "within the same job,allowing CacheBlend to store KV caches in slower devices with "
            "more storage capacity while retrieving them without increasing the inference delay. "
            "By comparing CacheBlend with the state-of-the-art KV cache reusing schemes on three "
            "open-source LLMs of various sizes and four popular benchmark datasets of different "
            "tasks, we show that CacheBlend reduces time-to-first-token (TTFT) by 2.2-3.3X and "
            "increases the inference throughput by 2.8-5X, compared with full KV recompute, "
            "without compromising generation quality or incurring more storage cost."
        ),
    ),
    _SamplePaper(
        arxiv_id="2407.11969",
        title="Does Refusal Training in LLMs Generalize to the Past Tense?",
        authors=["Maksym Andriushchenko", "Nicolas Flammarion"],
        doi=None,
        categories=["cs.CL"],
        sources=["arxiv-cs-cl"],
        published="2025-01-30",
        abstract=(
            "Refusal training is widely used to prevent LLMs from generating harmful, undesirable,"
            " or illegal outputs. We reveal a curious generalization gap in the current refusal "
            "training approaches: simply reformulating a harmful request in the past tense (e.g., "
            '"How to make a Molotov cocktail?" to "How did people make a Molotov cocktail?") is '
            "often sufficient to jailbreak many state-of-the-art LLMs. We systematically evaluate "
            "this method on Llama-3 8B, Claude-3.5 Sonnet, GPT-3.5 Turbo, Gemma-2 9B, Phi-3-Mini, "
            "GPT-4o mini, GPT-4o, and R2D2 models using GPT-3.5 Turbo as a reformulation model. "
            "For example, the success rate of this simple attack on GPT-4o increases from 1% using"
            " direct requests to 88% using 20 past tense reformulation attempts on harmful "
            "requests from JailbreakBench with GPT-4 as a jailbreak judge. Interestingly, we also "
            "find that reformulations in the future tense are less effective, suggesting that "
            "refusal guardrails tend to consider past historical questions more benign than "
            "hypothetical future questions. Moreover, our experiments on fine-tuning GPT-3.5 Turbo"
            " show that defending against past reformulations is feasible when past tense examples"
            " are explicitly included in the fine-tuning data. Overall, our findings highlight "
            "that the widely used alignment techniques -- such as SFT, RLHF, and adversarial "
            "training -- employed to align the studied models can be brittle and do not always "
            "generalize as intended. We provide code and jailbreak artifacts at "
            "https://github.com/tml-epfl/llm-past-tense."
        ),
    ),
]

# (score, reasons) per paper, in the order above: best first, as the ranker returns them.
_SCORES: list[tuple[float, list[Reason]]] = [
    (
        0.37,
        [
            Reason(
                kind="nearest_liked",
                text="Close to “Scaling Laws and Interpretability of Learning from Repeated "
                "Data”, which you liked",
                paper_key="title:5c1d0b6f3a2e9d47",
                weight=0.61,
            ),
            Reason(
                kind="terms",
                text="Shares the terms repetitions, self-reinforcement, decoding",
                terms=["repetitions", "self-reinforcement", "decoding"],
                weight=0.26,
            ),
        ],
    ),
    (
        0.28,
        [
            Reason(
                kind="nearest_liked",
                text="Close to “Long-Context LLMs Meet RAG: Overcoming Challenges for Long "
                "Inputs in RAG”, which you liked",
                paper_key="title:8e41c2a09b7d3f15",
                weight=0.52,
            ),
        ],
    ),
    (
        0.25,
        [
            Reason(
                kind="nearest_liked",
                text="Close to “Mitigating the Alignment Tax of RLHF”, which you liked",
                paper_key="title:1f9a7c3e5d2b8064",
                weight=0.47,
            ),
        ],
    ),
    (
        0.23,
        [
            Reason(
                kind="keyword",
                text="Matches your keyword “KV cache”",
                terms=["kv cache"],
                weight=0.3,
            ),
        ],
    ),
    (
        0.21,
        [
            Reason(
                kind="nearest_liked",
                text="Close to “Alignment faking in large language models”, which you liked",
                paper_key="title:a3b5d7f9e1c20486",
                weight=0.33,
            ),
        ],
    ),
]


def _paper(sample: _SamplePaper) -> Paper:
    links = {
        "abs": f"https://arxiv.org/abs/{sample.arxiv_id}",
        "pdf": f"https://arxiv.org/pdf/{sample.arxiv_id}",
    }
    if sample.doi:
        links["doi"] = f"https://doi.org/{sample.doi}"
    return Paper(
        key=f"arxiv:{sample.arxiv_id}",
        arxiv_id=sample.arxiv_id,
        version=1,
        doi=sample.doi,
        title=sample.title,
        abstract=sample.abstract,
        authors=sample.authors,
        categories=sample.categories,
        published=datetime.fromisoformat(sample.published).replace(tzinfo=UTC),
        links=links,
        sources=sample.sources,
    )


def sample_entries() -> list[DigestEntry]:
    """The five sample papers with their scores, reasons and feedback links."""
    entries = []
    for number, (sample, (score, reasons)) in enumerate(zip(_PAPERS, _SCORES, strict=True), 1):
        paper = _paper(sample)
        entries.append(
            DigestEntry(
                paper=paper,
                scored=ScoredPaper(paper_key=paper.key, score=score, reasons=reasons),
                relevant_url=f"{SAMPLE_BASE_URL}/feedback/sample-{number}-relevant",
                not_relevant_url=f"{SAMPLE_BASE_URL}/feedback/sample-{number}-not-relevant",
            )
        )
    return entries


def sample_context(*, empty: bool = False) -> DigestContext:
    """The fixed sample digest for Alice; `empty` gives the "nothing today" note instead."""
    return DigestContext(
        user_name="Alice Martin",
        user_email="alice@example.org",
        entries=[] if empty else sample_entries(),
        considered=SAMPLE_CONSIDERED,
        feed_names=list(SAMPLE_FEEDS),
        day=SAMPLE_DAY,
        profile_url=f"{SAMPLE_BASE_URL}/profile/sample-alice",
        picks_url=f"{SAMPLE_BASE_URL}/picks/sample-alice",
        unsubscribe_url=f"{SAMPLE_BASE_URL}/unsubscribe/sample-alice",
        empty_note=empty,
    )


# Why each paper of the cold-start sample is there, as recommender/ranking/cold_start.py words it.
_RATE_REASONS = [
    Reason(kind="rate_keyword", text="says your keyword “reward model”", terms=["reward model"]),
    Reason(
        kind="rate_topic",
        text="a main topic of the recent papers: cache, serving, retrieval (58 recent papers)",
        terms=["cache", "serving", "retrieval"],
    ),
    Reason(
        kind="rate_topic",
        text="a main topic of the recent papers: refusal, jailbreak, safety (41 recent papers)",
        terms=["refusal", "jailbreak", "safety"],
    ),
    Reason(
        kind="rate_topic",
        text="a main topic of the recent papers: recurrent, recall, context (37 recent papers)",
        terms=["recurrent", "recall", "context"],
    ),
]


def sample_cold_start_context() -> DigestContext:
    """A new reader's digest: one ranked pick (one like so far), then four papers to rate."""
    entries = sample_entries()
    rating = [
        DigestEntry(
            paper=entry.paper,
            scored=ScoredPaper(paper_key=entry.paper.key, score=0.0, reasons=[reason]),
            relevant_url=entry.relevant_url,
            not_relevant_url=entry.not_relevant_url,
        )
        for entry, reason in zip(
            [entries[2], entries[3], entries[4], entries[1]], _RATE_REASONS, strict=True
        )
    ]
    return DigestContext(
        user_name="Sam Okafor",
        user_email="sam@example.org",
        entries=entries[:1],
        considered=SAMPLE_CONSIDERED,
        feed_names=list(SAMPLE_FEEDS),
        day=SAMPLE_DAY,
        profile_url=f"{SAMPLE_BASE_URL}/profile/sample-sam",
        unsubscribe_url=f"{SAMPLE_BASE_URL}/unsubscribe/sample-sam",
        rating=rating,
        likes=1,
        likes_needed=3,
    )

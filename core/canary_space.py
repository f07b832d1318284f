"""Canaries (SPEC 10): a template and the space its secret is drawn from, the canaries a text
sweep plants, and the ones a user inserted into a model's training data. Pure (no torch)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from memdash.core.params import Strict

SECRET_PLACEHOLDER = "{secret}"
INDEX_PLACEHOLDER = "{n}"


class CanarySpace(Strict):
    """A canary template and the space its secret is drawn from (SPEC 10): `secret_length`
    symbols of `alphabet`, |R| = len(alphabet)^secret_length.

    An optional {n} in the template is filled with the canary's number (1, 2, ...; controls
    after the inserted ones), so each canary has its own context ("the pin of user 3 is ...")
    and its secret can be extracted from it: canaries sharing one context could at most have
    one of their secrets as the greedy completion. Each canary is ranked against candidate
    secrets in its own context."""

    template: str = Field(default="the pin of user {n} is {secret}", min_length=8, max_length=300)
    alphabet: str = Field(default="0123456789", min_length=2, max_length=100)
    secret_length: int = Field(default=6, ge=1, le=64)
    # Secrets drawn to rank each canary against (SPEC 10: rank estimated from M candidates).
    n_candidates: int = Field(default=2000, ge=100, le=100_000)

    @field_validator("template")
    @classmethod
    def _one_placeholder(cls, template: str) -> str:
        if template.count(SECRET_PLACEHOLDER) != 1:
            raise ValueError(f"the template must contain {SECRET_PLACEHOLDER} exactly once")
        return template

    @field_validator("alphabet")
    @classmethod
    def _distinct_symbols(cls, alphabet: str) -> str:
        if len(set(alphabet)) != len(alphabet):
            raise ValueError("the alphabet's symbols must be distinct")
        return alphabet

    def fill(self, secret: str, number: int) -> str:
        """The template with the secret and canary number `number` filled in."""
        text = self.template.replace(INDEX_PLACEHOLDER, str(number))
        return text.replace(SECRET_PLACEHOLDER, secret)

    def prefix(self, number: int) -> str:
        """The filled template's text before the secret (the extraction prompt)."""
        return self.fill(SECRET_PLACEHOLDER, number).split(SECRET_PLACEHOLDER)[0]


class SweepCanaries(CanarySpace):
    """Canaries a text sweep plants in every run's training set: `per_repeat` secrets inserted
    r times for each r of `repeats`, and `n_controls` secrets never inserted."""

    repeats: list[Annotated[int, Field(ge=1, le=1000)]] = Field(
        default=[1, 4, 16], min_length=1, max_length=8
    )
    per_repeat: int = Field(default=2, ge=1, le=50)
    n_controls: int = Field(default=4, ge=0, le=50)

    @field_validator("repeats")
    @classmethod
    def _sorted(cls, repeats: list[int]) -> list[int]:
        return sorted(set(repeats))


class InsertedCanary(Strict):
    """One inserted secret. `text`, when given, is the canary in its own words, with {secret}
    where the secret stands ("Ledger 2584 of Ruth Okafor: the vault code is {secret}."): its
    exposure and extraction are measured in that context, not the shared template's."""

    secret: str = Field(min_length=1, max_length=64)
    repeats: int = Field(default=1, ge=1, le=1_000_000)
    text: str | None = Field(default=None, min_length=8, max_length=500)

    @field_validator("text")
    @classmethod
    def _one_secret(cls, text: str | None) -> str | None:
        if text is not None and text.count(SECRET_PLACEHOLDER) != 1:
            raise ValueError(f"a canary's text must contain {SECRET_PLACEHOLDER} exactly once")
        return text


class ScoringCanaries(CanarySpace):
    """Canaries a user inserted into an uploaded model's training data, and how often; memdash
    adds `n_controls` secrets of the same space that were never inserted. Each inserted canary
    is the template filled with its secret and number, or its own `text`; controls are measured
    in the inserted canaries' contexts (worker/canaries.py)."""

    inserted: list[InsertedCanary] = Field(min_length=1, max_length=200)
    n_controls: int = Field(default=4, ge=0, le=50)

    @model_validator(mode="after")
    def _secrets_in_space(self) -> ScoringCanaries:
        for canary in self.inserted:
            if len(canary.secret) != self.secret_length or set(canary.secret) - set(self.alphabet):
                raise ValueError(
                    f"inserted secret {canary.secret!r} is not {self.secret_length} symbols of "
                    f"the alphabet {self.alphabet!r}"
                )
        return self

"""Every GraphQL operation we send to Shopify, with the variables we really send, validates
against Shopify's published Admin schema 2026-07.

The schema: the SDL captured by introspection of a live 2026-07 store, vendored in the
public repository airhorns/shopify-draft-proxy (config/admin-graphql/2026-07/schema.graphql,
commit 1fba7c1853d600286cbcbc275a26cbb8500bcb28), kept here gzipped with its descriptions
removed (tests/data/shopify-admin-2026-07.graphql.gz). A field Shopify deprecated is refused
too (`initialValue` on GiftCardCreateInput, replaced by `initialAmount`)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, build_ast_schema, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode
from graphql.validation import NoDeprecatedCustomRule

from core.stores.base import DiscountSpec
from core.stores.shopify import ShopifyStore
from tests.support.fake_stores import FakeStore, fake_shopify

SCHEMA = Path(__file__).parent / "data" / "shopify-admin-2026-07.graphql.gz"
TOKEN = "shpat_schema-check"


@cache
def admin_schema() -> GraphQLSchema:
    # assume_valid: the captured SDL deprecates some interface implementations, which
    # graphql-core's own schema check refuses though Shopify serves it.
    return build_ast_schema(parse(gzip.decompress(SCHEMA.read_bytes()).decode()),
                            assume_valid=True)


def problems(query: str, variables: dict[str, Any]) -> list[str]:
    """Every way the operation or its variables break the schema (deprecations included)."""
    schema = admin_schema()
    document = parse(query)
    found = [e.message for e in validate(schema, document)]
    found += [e.message for e in validate(schema, document, [NoDeprecatedCustomRule])]
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables)
    if isinstance(coerced, list):
        found += [e.message for e in coerced]
    found += deprecated_inputs(schema, operation, variables)
    return found


def deprecated_inputs(schema: GraphQLSchema, operation: OperationDefinitionNode,
                      variables: dict[str, Any]) -> list[str]:
    """Input fields marked @deprecated that the variables use (validate() sees only the
    document, not the values)."""
    from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, type_from_ast

    def walk(kind: Any, value: Any, path: str) -> Iterator[str]:
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            if isinstance(kind, GraphQLList) and isinstance(value, list):
                for n, item in enumerate(value):
                    yield from walk(kind.of_type, item, f"{path}[{n}]")
                return
            kind = kind.of_type
        if isinstance(kind, GraphQLInputObjectType) and isinstance(value, dict):
            for name, item in value.items():
                field = kind.fields.get(name)
                if field is None:
                    continue
                if field.deprecation_reason:
                    yield f"{path}.{name} is deprecated: {field.deprecation_reason}"
                yield from walk(field.type, item, f"{path}.{name}")

    out: list[str] = []
    for definition in operation.variable_definitions or []:
        name = definition.variable.name.value
        out += walk(type_from_ast(schema, definition.type), variables.get(name), name)
    return out


@pytest.fixture
def shopify() -> Iterator[FakeStore]:
    with fake_shopify(TOKEN) as fake:
        yield fake


def sent(fake: FakeStore) -> list[dict[str, Any]]:
    return [json.loads(call["body"]) for call in fake.calls]


def test_every_operation_we_send_validates_against_the_admin_schema(shopify) -> None:
    store = ShopifyStore("demo-shop.myshopify.com", TOKEN, "secret", origin=shopify.url)
    store.probe()
    store.register_webhooks("https://refer.test/shopify/webhooks")
    percent = DiscountSpec("ALEX427183", "Referral", "percent", 10, "USD", minimum_minor=2000,
                           aliases=("ALEX-427183",))
    made = store.create_discount(percent)
    store.update_discount(made.store_id, percent)
    store.issue_reward_code(DiscountSpec("THANKS-ABCDEFGHJK", "Thanks", "fixed", 1000, "USD",
                                         usage_limit=1), gift_card=False)
    store.issue_reward_code(DiscountSpec("THANKS-ABCDEFGHJM", "Thanks", "fixed", 1000, "EUR",
                                         usage_limit=1), gift_card=True)
    requests = sent(shopify)
    names = {parse(r["query"]).definitions[0].name.value for r in requests}  # type: ignore[attr-defined]
    assert {"shopName", "webhookSubscriptionCreate", "discountCodeBasicCreate",
            "discountCodeBasicUpdate", "discountRedeemCodeBulkAdd", "giftCardCreate"} <= names
    for request in requests:
        assert problems(request["query"], request["variables"]) == [], request


def test_the_check_catches_a_deprecated_gift_card_field_and_an_unknown_one() -> None:
    """The check itself can fail: the 2026-06 style giftCardCreate input is refused."""
    from core.stores.shopify import GIFT_CARD_CREATE

    old = problems(GIFT_CARD_CREATE, {"input": {"initialValue": "10.00", "code": "ABCDEFGH"}})
    assert any("initialValue" in p and "deprecated" in p for p in old)
    assert problems(GIFT_CARD_CREATE, {"input": {"initialAmount": {"amount": "10.00"}}})
    assert problems("mutation { giftCardCreate(input: {}) { nope } }", {})

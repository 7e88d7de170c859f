"""Converts the providers' official schemas into the JSON Schema caches of the contract checks.

* Xero: the OpenAPI 3 document ``xero-openapi/xero_accounting.yaml`` becomes one JSON Schema
  per component (``$defs``) and, per operation (``"PUT /Invoices"``, method and path template),
  the schema of its JSON request body and of its JSON answers by status (200, 201, 400).
* QuickBooks Online: Intuit's XSD files ``qbo-xsd/*.xsd`` become one JSON Schema per complex
  and simple type (``$defs``), the JSON mapping Intuit's API uses (qbo-xsd/README.md): element
  and attribute names are keys, repeated elements are arrays, a simple-content type is an object
  holding its text as ``value`` (``{"value": "1", "name": "Cash"}``).

Conversion choices (tests/contracts/README.md): objects with declared properties get
``additionalProperties: false``; enums, types and maxLength are kept; ``required`` is what the
source says (XSD: minOccurs >= 1 outside an optional branch, ``use="required"``), except in a
QuickBooks entity sent with ``"sparse": true``; formats and patterns are not enforced.

The caches (``tests/contracts/xero.schema.json``, ``qbo.schema.json``) are written with sorted
keys so that the same source always gives the same bytes, and hold the sha256 of each source
file. ``python -m tests.contracts.convert`` rebuilds both (``--check`` only compares).
"""

import hashlib
import json
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CACHES = {"xero": HERE / "xero.schema.json", "qbo": HERE / "qbo.schema.json"}
SOURCE_DIRS = {"xero": "xero-openapi", "qbo": "qbo-xsd"}
SOURCE_GLOBS = {"xero": "xero_accounting.yaml", "qbo": "*.xsd"}
DIALECT = "https://json-schema.org/draft/2020-12/schema"


# ---------------------------------------------------------------------- sources and hashes
def source_root():
    """The folder holding ``xero-openapi/`` and ``qbo-xsd/``: ``$QXS_SCHEMA_SOURCES``, else
    ``shared/`` beside the repository; None when neither exists (a clean clone)."""
    for candidate in (os.environ.get("QXS_SCHEMA_SOURCES"), REPO_ROOT.parent / "shared"):
        if candidate and (Path(candidate) / SOURCE_DIRS["xero"]).is_dir():
            return Path(candidate)
    return None


def source_files(provider, root=None):
    root = root or source_root()
    if root is None:
        return []
    return sorted((root / SOURCE_DIRS[provider]).glob(SOURCE_GLOBS[provider]))


def source_hashes(provider, root=None):
    """{file name: sha256} of a provider's source files ({} when the source is absent)."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in source_files(provider, root)
    }


def dump(document):
    """The cache's bytes: sorted keys, one level of indent, a final newline (deterministic)."""
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def convert(provider, root=None):
    """The cache document of a provider, converted from its source files."""
    files = source_files(provider, root)
    if not files:
        raise FileNotFoundError(f"no {provider} schema source under {root or source_root()}")
    document = (convert_xero if provider == "xero" else convert_qbo)(files)
    document["source_sha256"] = source_hashes(provider, root)
    document["$schema"] = DIALECT
    return document


def build(provider, root=None):
    """Convert and write the cache (atomically); returns the document."""
    document = convert(provider, root)
    target = CACHES[provider]
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(dump(document))
    os.replace(tmp, target)
    return document


# ---------------------------------------------------------------------- Xero: OpenAPI 3
OPENAPI_KEYWORDS = {"type", "enum", "items", "properties", "required", "maxLength", "$ref"}
ANSWER_STATUSES = ("200", "201", "400")


def _openapi_schema(node):
    """An OpenAPI 3.0 schema object as JSON Schema 2020-12 (annotations dropped)."""
    if isinstance(node, list):
        return [_openapi_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = value.replace("#/components/schemas/", "#/$defs/")
        elif key == "properties":
            out[key] = {name: _openapi_schema(sub) for name, sub in value.items()}
        elif key == "items":
            out[key] = _openapi_schema(value)
        elif key in ("enum", "required", "maxLength") or (key == "type" and "$ref" not in node):
            out[key] = value
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if "properties" in out:
        out["type"] = "object"
        out["additionalProperties"] = False
    return out


def _resolve(spec, node):
    while (
        isinstance(node, dict)
        and "$ref" in node
        and not node["$ref"].startswith("#/components/schemas/")
    ):
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _json_schema_of(spec, holder):
    """The application/json schema of a request body or response object, or None."""
    holder = _resolve(spec, holder)
    media = (holder or {}).get("content", {}).get("application/json")
    if not media or "schema" not in media:
        return None
    return _openapi_schema(media["schema"])


def convert_xero(files):
    import yaml  # only the converter needs PyYAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(files[0], encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=loader)  # a safe loader (C when available)
    defs = {name: _openapi_schema(s) for name, s in spec["components"]["schemas"].items()}
    operations = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            entry = {"operationId": op.get("operationId")}
            if "requestBody" in op:
                entry["request"] = _json_schema_of(spec, op["requestBody"])
            answers = {}
            for status in ANSWER_STATUSES:
                if status in op.get("responses", {}):
                    schema = _json_schema_of(spec, op["responses"][status])
                    if schema is not None:
                        answers[status] = schema
            entry["answers"] = answers
            operations[f"{method.upper()} {path}"] = entry
    return {
        "provider": "xero",
        "title": f'{spec["info"]["title"]} {spec["info"]["version"]}',
        "$defs": defs,
        "operations": operations,
    }


# ---------------------------------------------------------------------- QuickBooks: XSD
XS = "{http://www.w3.org/2001/XMLSchema}"
XSD_TYPES = {
    "string": {"type": "string"},
    "anyURI": {"type": "string"},
    "date": {"type": "string"},
    "dateTime": {"type": "string"},
    "time": {"type": "string"},
    "base64Binary": {"type": "string"},
    "decimal": {"type": "number"},
    "double": {"type": "number"},
    "float": {"type": "number"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "long": {"type": "integer"},
    "short": {"type": "integer"},
    "positiveInteger": {"type": "integer", "minimum": 1},
    "nonNegativeInteger": {"type": "integer", "minimum": 0},
    "boolean": {"type": "boolean"},
    "anyType": {},
}


def _local(name):
    return (name or "").split(":")[-1]


def _occurs(node):
    low = int(node.get("minOccurs", "1"))
    high = node.get("maxOccurs", "1")
    return low, (None if high == "unbounded" else int(high))


class XsdConverter:
    """Complex types flattened over their xs:extension bases; simple types as enums/types."""

    def __init__(self, files):
        self.complex, self.simple, self.substitutes, self.groups = {}, {}, {}, {}
        self.elements = {}
        for path in files:
            root = ET.parse(path).getroot()
            for node in root:
                name = node.get("name")
                if node.tag == XS + "complexType":
                    self.complex[name] = node
                elif node.tag == XS + "simpleType":
                    self.simple[name] = node
                elif node.tag == XS + "group":
                    self.groups[name] = node
                elif node.tag == XS + "element":
                    self.elements[name] = node
                    group = _local(node.get("substitutionGroup"))
                    if group:
                        self.substitutes.setdefault(group, []).append(name)

    def type_ref(self, type_name):
        local = _local(type_name)
        if type_name.startswith("xs:"):
            return dict(XSD_TYPES[local])
        if local in self.complex or local in self.simple:
            return {"$ref": f"#/$defs/{local}"}
        raise KeyError(f"unknown XSD type {type_name}")

    # simple types ---------------------------------------------------------------
    def simple_type(self, node):
        restriction = node.find(XS + "restriction")
        if restriction is None:  # xs:list / xs:union: text
            return {"type": "string"}
        base = _local(restriction.get("base"))
        schema = (
            dict(XSD_TYPES[base])
            if restriction.get("base").startswith("xs:")
            else self.simple_type(self.simple[base])
        )
        values = [e.get("value") for e in restriction.findall(XS + "enumeration")]
        if values:
            schema["enum"] = values
        length = restriction.find(XS + "maxLength")
        if length is not None and schema.get("type") == "string":
            schema["maxLength"] = int(length.get("value"))
        return schema

    def scalar_of(self, type_name):
        """The JSON schema of a simple type's text (for simple content)."""
        local = _local(type_name)
        if type_name.startswith("xs:"):
            return dict(XSD_TYPES[local])
        if local in self.simple:
            return {"$ref": f"#/$defs/{local}"}
        return self.scalar_of(self.complex_base(self.complex[local]))

    def complex_base(self, node):
        for content in (XS + "simpleContent", XS + "complexContent"):
            found = node.find(content)
            if found is not None:
                for kind in ("extension", "restriction"):
                    derivation = found.find(XS + kind)
                    if derivation is not None:
                        return derivation.get("base")
        return None

    # complex types --------------------------------------------------------------
    def collect(self, node, props, required, ctx, optional=False, choices=None):
        """Walk a content model: elements become properties; returns nothing."""
        for child in node:
            tag = child.tag[len(XS) :] if child.tag.startswith(XS) else None
            if tag == "element":
                low, high = _occurs(child)
                many = high is None or high > 1
                names = (
                    self.substitutes.get(_local(child.get("ref")), [_local(child.get("ref"))])
                    if child.get("ref")
                    else [child.get("name")]
                )
                for name in names:
                    props[name] = self.element_schema(child, name, many)
                    if choices is not None:
                        choices.append(name)
                if not optional and low >= 1 and len(names) == 1 and choices is None:
                    required.append(names[0])
            elif tag in ("sequence", "all"):
                low, _ = _occurs(child)
                self.collect(child, props, required, ctx, optional or low == 0, choices)
            elif tag == "group":  # a named model group, used in place
                low, _ = _occurs(child)
                group = self.groups[_local(child.get("ref"))]
                self.collect(group, props, required, ctx, optional or low == 0, choices)
            elif tag == "choice":
                low, _ = _occurs(child)
                branch = []
                self.collect(child, props, required, ctx, True, branch)
                mandatory = not optional and low >= 1
                if mandatory and all(_occurs(e)[0] >= 1 for e in child.findall(XS + "element")):
                    ctx["any_of"].append(branch)
                parts = [c for c in child if c.tag != XS + "annotation"]
                if len(branch) > 1 and all(c.tag == XS + "element" for c in parts):
                    ctx["choices"].append(branch)  # at most one of them (check.py: x-choice)
            elif tag == "any":
                ctx["open"] = True

    def element_schema(self, element, name, many):
        if element.get("ref"):
            target = self.elements[name]
            schema = self.type_ref(target.get("type"))
        elif element.get("type"):
            schema = self.type_ref(element.get("type"))
        else:
            inline = element.find(XS + "complexType")
            if inline is not None:
                schema = self.complex_type(inline)
            else:
                inline = element.find(XS + "simpleType")
                schema = self.simple_type(inline) if inline is not None else {}
        return {"type": "array", "items": schema} if many else schema

    def attributes(self, node, props, required):
        for attribute in node.findall(XS + "attribute"):
            name = attribute.get("name")
            if attribute.get("type"):
                schema = self.type_ref(attribute.get("type"))
            else:
                inline = attribute.find(XS + "simpleType")
                schema = self.simple_type(inline) if inline is not None else {"type": "string"}
            props[name] = schema
            if attribute.get("use") == "required":
                required.append(name)

    def members(self, node):
        """(properties, required, context: any_of, choices, open) of a complex type, its
        bases flattened."""
        props, required = {}, []
        ctx = {"any_of": [], "choices": [], "open": False}
        simple = node.find(XS + "simpleContent")
        complex_content = node.find(XS + "complexContent")
        if simple is not None:
            derivation = simple[0] if len(simple) else None
            props["value"] = self.scalar_of(derivation.get("base"))
            self.attributes(derivation, props, required)
            return props, required, ctx
        if complex_content is not None:
            derivation = next(c for c in complex_content if c.tag.startswith(XS))
            base = _local(derivation.get("base"))
            if derivation.tag == XS + "extension" and base in self.complex:
                b_props, b_required, ctx = self.members(self.complex[base])
                props.update(b_props)
                required.extend(b_required)
            node = derivation
        self.collect(node, props, required, ctx)
        self.attributes(node, props, required)
        return props, required, ctx

    def complex_type(self, node):
        props, required, ctx = self.members(node)
        schema = {"type": "object", "properties": props}
        if props and not ctx["open"]:
            schema["additionalProperties"] = False
        if ctx["choices"]:
            schema["x-choice"] = ctx["choices"]
        conditions = [{"required": list(dict.fromkeys(required))}] if required else []
        conditions += [{"anyOf": [{"required": [n]} for n in b]} for b in ctx["any_of"]]
        if conditions and "sparse" in props:
            # QuickBooks: "sparse": true updates only the fields sent (Intuit, "Sparse update")
            schema["if"] = {"properties": {"sparse": {"const": True}}, "required": ["sparse"]}
            schema["else"] = {"allOf": conditions}
        elif len(conditions) == 1:
            schema.update(conditions[0])
        elif conditions:
            schema["allOf"] = conditions
        return schema

    def convert(self):
        defs = {name: self.simple_type(node) for name, node in self.simple.items()}
        for name, node in self.complex.items():
            defs[name] = self.complex_type(node)
        entities = {
            name: _local(self.elements[name].get("type"))
            for name in self.substitutes.get("IntuitObject", [])
        }
        return {"provider": "qbo", "$defs": defs, "entities": entities}


def convert_qbo(files):
    return XsdConverter(files).convert()


# ---------------------------------------------------------------------- command line
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if source_root() is None:
        print("no schema source found (set QXS_SCHEMA_SOURCES)", file=sys.stderr)
        return 2
    status = 0
    for provider in ("xero", "qbo"):
        if "--check" in argv:
            same = CACHES[provider].read_bytes() == dump(convert(provider))
            print(f"{provider}: {'up to date' if same else 'STALE'}")
            status |= not same
        else:
            document = build(provider)
            print(f"{provider}: {len(document['$defs'])} definitions -> {CACHES[provider].name}")
    return status


if __name__ == "__main__":
    sys.exit(main())

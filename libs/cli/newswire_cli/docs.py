"""Write the contracts down: AsyncAPI of the streams, OpenAPI of the HTTP services."""

import json
from pathlib import Path


def write_docs(out: Path) -> list[Path]:
    from newswire_clean.worker import app as clean_app
    from newswire_enrich.worker import app as enrich_app
    from newswire_index.worker import app as index_app
    from newswire_ingest.app import create_app as ingest_app
    from newswire_search.app import create_app as search_app

    out.mkdir(parents=True, exist_ok=True)
    written = []
    ingest = ingest_app()
    documents = {
        "asyncapi-ingest.json": json.loads(ingest.schema.to_specification().to_json()),
        "asyncapi-clean.json": json.loads(clean_app.schema.to_specification().to_json()),
        "asyncapi-enrich.json": json.loads(enrich_app.schema.to_specification().to_json()),
        "asyncapi-index.json": json.loads(index_app.schema.to_specification().to_json()),
        "openapi-ingest.json": ingest.fastapi.openapi(),
        "openapi-search.json": search_app().openapi(),
    }
    for name, document in documents.items():
        path = out / name
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written

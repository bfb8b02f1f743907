"""The node's SOAP side as a wire format: XML parsed with entities and DTDs refused, SOAP 1.1
envelopes and faults, the paForNode messages the node exchanges with a creditor's station, and
their validation against the official XSDs shipped in ``xsd/``. Knows nothing of storage, services
or the web: it turns bytes into elements and elements into bytes."""

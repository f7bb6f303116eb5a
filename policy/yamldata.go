package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ztci/ztci/internal/strictjson"
)

// checkYAMLData refuses a data.yaml (or data.yml) that OPA's loader reads
// otherwise than its text says. The loader (opa/internal/yaml) reads a
// file that is JSON as JSON, where encoding/json keeps the last of a
// repeated member; any other as YAML, keeping the last of two keys that
// name one JSON member ("repos" twice, or 1 and "1", or true and "true")
// where a reviewer reads the first, and only the first of several
// documents. So, as for data.json, a repeated member, a key OPA cannot
// make a member of and a second document are refused.
func checkYAMLData(b []byte) error {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // as the loader does
	if json.Valid(b) {
		return strictjson.CheckRepeats(b)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for n := 0; ; n++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if n > 0 {
			return errors.New("holds more than one YAML document, and OPA reads only the first")
		}
		if err := checkYAMLKeys(&doc, map[*yaml.Node]bool{}); err != nil {
			return err
		}
	}
}

// checkYAMLKeys walks n once per node (anchors share subtrees) and refuses
// a mapping holding two keys that are one JSON member name.
func checkYAMLKeys(n *yaml.Node, visited map[*yaml.Node]bool) error {
	if n == nil || visited[n] {
		return nil
	}
	visited[n] = true
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				continue // "<<": merged keys yield to the mapping's own, as YAML says
			}
			name, err := yamlKeyName(k)
			if err != nil {
				return err
			}
			if seen[name] {
				return fmt.Errorf("key %q repeated (line %d)", name, k.Line)
			}
			seen[name] = true
		}
	}
	if err := checkYAMLKeys(n.Alias, visited); err != nil {
		return err
	}
	for _, c := range n.Content {
		if err := checkYAMLKeys(c, visited); err != nil {
			return err
		}
	}
	return nil
}

// yamlKeyName is the JSON member name OPA's loader makes of the mapping key
// k (opa/internal/yaml: normalize, then keyString).
func yamlKeyName(k *yaml.Node) (string, error) {
	if k.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("a key that is not a scalar (line %d)", k.Line)
	}
	if k.Tag == "!!str" || (k.Tag == "!!timestamp" && k.Style == 0) {
		return k.Value, nil
	}
	var v any
	if err := k.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		switch s := strconv.FormatFloat(v, 'g', -1, 32); s {
		case "+Inf":
			return ".inf", nil
		case "-Inf":
			return "-.inf", nil
		case "NaN":
			return ".nan", nil
		default:
			return s, nil
		}
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("key %q (line %d) is not one OPA can name a member with", k.Value, k.Line)
}

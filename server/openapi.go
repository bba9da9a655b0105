package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"

	"github.com/pickwave/pickwave/docs"
)

// specDoc is the API contract in one format, with the ETag of its bytes.
type specDoc struct {
	contentType string
	body        []byte
	etag        string
}

func newSpecDoc(contentType string, body []byte) specDoc {
	sum := sha256.Sum256(body)
	return specDoc{contentType: contentType, body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// specDocs are docs/openapi.yaml as served, and its JSON form, converted
// once per process (Handler calls it first): the file is fixed at build
// time.
var specDocs = sync.OnceValues(func() ([2]specDoc, error) {
	j, err := yamlToJSON(docs.OpenAPI)
	if err != nil {
		return [2]specDoc{}, fmt.Errorf("convert docs/openapi.yaml to JSON: %w", err)
	}
	return [2]specDoc{newSpecDoc("application/yaml; charset=utf-8", docs.OpenAPI), newSpecDoc("application/json; charset=utf-8", j)}, nil
})

// serveSpec serves the API contract, YAML or JSON, to anyone: it holds no
// data, and integrators read it before they have a token. It is cacheable
// and revalidated with its ETag (If-None-Match is answered 304).
func (s *Server) serveSpec(asJSON bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		both, err := specDocs()
		if err != nil {
			s.fail(c, err)
			return
		}
		d := both[0]
		if asJSON {
			d = both[1]
		}
		h := c.Writer.Header()
		h.Set("ETag", d.etag)
		h.Set("Cache-Control", "public, max-age=300")
		if match := c.GetHeader("If-None-Match"); match == d.etag || match == "*" {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, d.contentType, d.body)
	}
}

// yamlToJSON converts a YAML document to JSON, keeping the order of keys.
// goccy/go-yaml's own YAMLToJSON writes a backslash of a YAML string as
// it is ("\x00" in a pattern), which is not JSON; encoding/json writes
// every scalar here.
func yamlToJSON(doc []byte) ([]byte, error) {
	var v any
	if err := yaml.UnmarshalWithOptions(doc, &v, yaml.UseOrderedMap()); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case yaml.MapSlice:
		buf.WriteByte('{')
		for i, item := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			key, err := json.Marshal(fmt.Sprint(item.Key))
			if err != nil {
				return err
			}
			buf.Write(key)
			buf.WriteByte(':')
			if err := writeJSON(buf, item.Value); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%T value: %w", v, err)
		}
		buf.Write(data)
	}
	return nil
}

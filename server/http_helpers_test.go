package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// httpPost sends a JSON body with a bearer token and returns the answer,
// an error for a status of 300 or more.
func httpPost(url, token, body string) ([]byte, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode >= 300 {
		return data, fmt.Errorf("status %d: %s", res.StatusCode, data)
	}
	return data, nil
}

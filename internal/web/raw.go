package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// rawFiles names the stored values each record downloads, by route
// prefix: pages show values shortened past jsonview's bounds, and link
// here for the whole.
var rawFiles = map[string][]string{
	"actions":    {"input.json", "output.json", "request.json", "context.json"},
	"executions": {"input.json", "output.json", "params.json", "published.json"},
	"tasks":      {"result.json", "published.json"},
}

// actionRaw serves GET /actions/<id>/<file>: the action's input, its
// output ({"result": …}), the request std.mistral_http sent, or an
// approval's context as evaluated when it started.
func (s *Server) actionRaw(c echo.Context) error {
	file, ok := rawFile(c, "actions")
	if !ok {
		return s.noRaw(c)
	}
	a, err := s.engine.GetActionExecution(c.Request().Context(), c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	value := map[string]*string{"input.json": &a.InputJSON, "output.json": a.OutputJSON, "request.json": a.RequestJSON}[file]
	if file == "context.json" {
		if value, err = approvalContext(a); err != nil {
			return s.fail(c, err)
		}
	}
	return s.download(c, "action-"+a.ID+"-"+file, value)
}

// approvalContext is an approval's context as JSON; nil for another
// action, or an approval without one.
func approvalContext(a *engine.ActionExecution) (*string, error) {
	if a.ApprovalJSON == nil {
		return nil, nil
	}
	ap, err := engine.ParseApproval(*a.ApprovalJSON)
	if err != nil || ap.Context == nil {
		return nil, err
	}
	b, err := jsonvalue.Encode(ap.Context)
	if err != nil {
		return nil, err
	}
	text := string(b)
	return &text, nil
}

// executionRaw serves GET /executions/<id>/<file>: input, output, params
// or what tasks published globally.
func (s *Server) executionRaw(c echo.Context) error {
	file, ok := rawFile(c, "executions")
	if !ok {
		return s.noRaw(c)
	}
	ex, err := s.engine.GetExecution(c.Request().Context(), c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	params := engine.MaskParams(ex.ParamsJSON)
	value := map[string]*string{"input.json": &ex.InputJSON, "output.json": &ex.OutputJSON, "params.json": &params,
		"published.json": &ex.PublishedGlobalJSON}[file]
	return s.download(c, "execution-"+ex.ID+"-"+file, value)
}

// taskRaw serves GET /tasks/<id>/<file>: the task's result or what it
// published.
func (s *Server) taskRaw(c echo.Context) error {
	file, ok := rawFile(c, "tasks")
	if !ok {
		return s.noRaw(c)
	}
	t, err := s.engine.GetTask(c.Request().Context(), c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	value := map[string]*string{"result.json": &t.ResultJSON, "published.json": &t.PublishedJSON}[file]
	return s.download(c, "task-"+t.ID+"-"+file, value)
}

func rawFile(c echo.Context, kind string) (string, bool) {
	file := c.Param("file")
	for _, f := range rawFiles[kind] {
		if f == file {
			return file, true
		}
	}
	return "", false
}

func (s *Server) noRaw(c echo.Context) error {
	return s.errorPage(c, http.StatusNotFound, "There is no such value to download.")
}

// download sends a stored value as it is stored, as a JSON attachment: no
// decoding, no re-encoding, copied in small chunks rather than whole.
// Empty or absent values (an output not yet delivered) are 404.
func (s *Server) download(c echo.Context, name string, value *string) error {
	if value == nil || *value == "" {
		return s.errorPage(c, http.StatusNotFound, "This value has not been recorded.")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/json")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(*value)))
	c.Response().WriteHeader(http.StatusOK)
	// A bare io.Reader, so that io.Copy goes through its buffer instead
	// of strings.Reader.WriteTo, which would copy the whole value into
	// one []byte for the response writer.
	if _, err := io.Copy(c.Response(), struct{ io.Reader }{strings.NewReader(*value)}); err != nil {
		// The status is sent: all there is to do is note the client left.
		s.log.Debug("download cut short", "file", name, "err", err)
	}
	return nil
}

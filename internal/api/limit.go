package api

import (
	"errors"
	"runtime"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// defaultParseSlots is how many definition documents are parsed at once:
// a document at the byte and node limits costs tens of megabytes while it
// is parsed, so the excess waits on the client's side (503, Retry-After)
// rather than in the server's memory.
func defaultParseSlots() int { return min(runtime.GOMAXPROCS(0), 4) }

// SetParseSlots sets how many definition bodies (workflows, workbooks,
// actions; create, update and validate) are parsed at once; n < 1 means 1.
func (a *API) SetParseSlots(n int) { a.parseSlots = make(chan struct{}, max(n, 1)) }

// readDefinition reads a YAML definition body and takes one of the parse
// slots, which done gives back. The slot is taken after the body is read,
// so a client that sends slowly holds none.
func (a *API) readDefinition(c echo.Context) (body []byte, done func(), err error) {
	body, err = a.readBody(c)
	if err != nil {
		return nil, nil, err
	}
	select {
	case a.parseSlots <- struct{}{}:
		if a.parsing != nil {
			a.parsing()
		}
		return body, func() { <-a.parseSlots }, nil
	default:
		c.Response().Header().Set("Retry-After", "1")
		return nil, nil, fault.Errorf(fault.EUNAVAILABLE, "The server is parsing %d definitions already: retry in a moment.", cap(a.parseSlots))
	}
}

// definitionTooLarge tells the errors that validate answers with 400
// rather than with {"valid": false}: limits, not mistakes.
func definitionTooLarge(err error) bool { return errors.Is(err, dsl.ErrTooManyNodes) }

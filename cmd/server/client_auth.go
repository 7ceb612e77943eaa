package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
)

// clientToken finds the credentials of a client verb: --token or
// SIROCCO_TOKEN (an API token); else SIROCCO_USERNAME and
// SIROCCO_PASSWORD, exchanged for a short-lived token at the Keystone
// login; else none (a server run with -auth off).
func clientToken(ctx context.Context, flags map[string]string, getenv func(string) string) (string, error) {
	if t := flags["token"]; t != "" {
		return t, nil
	}
	if t := getenv("SIROCCO_TOKEN"); t != "" {
		return t, nil
	}
	user, password := getenv("SIROCCO_USERNAME"), getenv("SIROCCO_PASSWORD")
	if user == "" || password == "" {
		return "", nil
	}
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{"identity": map[string]any{"methods": []string{"password"},
		"password": map[string]any{"user": map[string]any{"name": user, "domain": map[string]any{"name": "Default"}, "password": password}}}}})
	login := serverURL(flags, getenv) + "/v3/auth/tokens"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, login, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sirocco-cli")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("log in as %s at POST %s: %w", user, login, unreachable(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("log in as %s at POST %s: HTTP %d (check SIROCCO_USERNAME and SIROCCO_PASSWORD)", user, login, resp.StatusCode)
	}
	return resp.Header.Get("X-Subject-Token"), nil
}

// authCall runs one request of an account verb with the client's
// credentials.
func authCall(ctx context.Context, flags map[string]string, getenv func(string) string, method, path string, body, out any) error {
	token, err := clientToken(ctx, flags, getenv)
	if err != nil {
		return err
	}
	return call(ctx, token, method, serverURL(flags, getenv)+path, body, out)
}

// authFlags are the flags every account verb takes.
var authFlags = []string{"url", "token"}

func verbArgs(args []string, n int, usage string, extra ...string) ([]string, map[string]string, error) {
	pos, flags, err := clientArgs(args, append(extra, authFlags...)...)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != n {
		return nil, nil, usageError{"usage: " + usage + " [--url URL] [--token TOKEN]"}
	}
	return pos, flags, nil
}

func table(stdout io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func whoami(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	_, flags, err := verbArgs(args, 0, "whoami")
	if err != nil {
		return err
	}
	var out map[string]any
	if err := authCall(ctx, flags, getenv, http.MethodGet, "/auth/whoami", nil, &out); err != nil {
		return fmt.Errorf("whoami: %w", err)
	}
	fmt.Fprintf(stdout, "%s (%s)\n", cell(out["user"]), cell(out["role"]))
	return nil
}

func userList(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	_, flags, err := verbArgs(args, 0, "user-list")
	if err != nil {
		return err
	}
	var out struct {
		Users []struct {
			Name, Role    string
			EffectiveRole string `json:"effective_role"`
			Groups        []string
			Email         string
			CreatedAt     string `json:"created_at"`
		}
	}
	if err := authCall(ctx, flags, getenv, http.MethodGet, "/auth/users", nil, &out); err != nil {
		return fmt.Errorf("user-list: %w", err)
	}
	var rows [][]string
	for _, u := range out.Users {
		rows = append(rows, []string{u.Name, u.Role, u.EffectiveRole, strings.Join(u.Groups, ","), u.Email, u.CreatedAt})
	}
	return table(stdout, []string{"Name", "Role", "Effective role", "Groups", "Email", "Created at"}, rows)
}

// passwordOf reads a password from --password-env (the name of an
// environment variable), else SIROCCO_NEW_PASSWORD: never from the
// command line, where the process list would show it.
func passwordOf(flags map[string]string, getenv func(string) string) string {
	if name := flags["password-env"]; name != "" {
		return getenv(name)
	}
	return getenv("SIROCCO_NEW_PASSWORD")
}

func userCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	pos, flags, err := verbArgs(args, 1, "user-create <name> --role {viewer,requester,approver,admin} [--email ADDRESS] (password in $SIROCCO_NEW_PASSWORD or --password-env VAR)", "role", "password-env", "email")
	if err != nil {
		return err
	}
	pw := passwordOf(flags, getenv)
	if pw == "" {
		return usageError{"user-create: set the password in SIROCCO_NEW_PASSWORD (or name a variable with --password-env)"}
	}
	var out map[string]any
	body := map[string]any{"name": pos[0], "role": flags["role"], "password": pw}
	if e, ok := flags["email"]; ok {
		body["email"] = e
	}
	if err := authCall(ctx, flags, getenv, http.MethodPost, "/auth/users", body, &out); err != nil {
		return fmt.Errorf("user-create %s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "Created user %s (%s)\n", cell(out["name"]), cell(out["role"]))
	return nil
}

func userUpdate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	pos, flags, err := verbArgs(args, 1, "user-update <name> [--role ROLE] [--email ADDRESS (\"\" removes it)] [--password-env VAR]", "role", "password-env", "email")
	if err != nil {
		return err
	}
	body := map[string]any{}
	if r := flags["role"]; r != "" {
		body["role"] = r
	}
	if _, ok := flags["password-env"]; ok {
		body["password"] = passwordOf(flags, getenv)
	}
	if e, ok := flags["email"]; ok {
		body["email"] = e
	}
	var out map[string]any
	if err := authCall(ctx, flags, getenv, http.MethodPut, "/auth/users/"+url.PathEscape(pos[0]), body, &out); err != nil {
		return fmt.Errorf("user-update %s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "Updated user %s (%s)\n", cell(out["name"]), cell(out["role"]))
	return nil
}

func groupList(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	_, flags, err := verbArgs(args, 0, "group-list")
	if err != nil {
		return err
	}
	var out struct {
		Groups []struct {
			Name, Role string
			Members    []string
		}
	}
	if err := authCall(ctx, flags, getenv, http.MethodGet, "/auth/groups", nil, &out); err != nil {
		return fmt.Errorf("group-list: %w", err)
	}
	var rows [][]string
	for _, g := range out.Groups {
		rows = append(rows, []string{g.Name, g.Role, strings.Join(g.Members, ",")})
	}
	return table(stdout, []string{"Name", "Role", "Members"}, rows)
}

func groupCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	pos, flags, err := verbArgs(args, 1, "group-create <name> --role {viewer,requester,approver,admin}", "role")
	if err != nil {
		return err
	}
	if err := authCall(ctx, flags, getenv, http.MethodPost, "/auth/groups", map[string]any{"name": pos[0], "role": flags["role"]}, &map[string]any{}); err != nil {
		return fmt.Errorf("group-create %s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "Created group %s (%s)\n", pos[0], flags["role"])
	return nil
}

func groupAddUser(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return groupMember(ctx, args, getenv, stdout, http.MethodPut, "group-add-user")
}

func groupRemoveUser(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return groupMember(ctx, args, getenv, stdout, http.MethodDelete, "group-remove-user")
}

func groupMember(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, method, verb string) error {
	pos, flags, err := verbArgs(args, 2, verb+" <group> <user>")
	if err != nil {
		return err
	}
	if err := authCall(ctx, flags, getenv, method, "/auth/groups/"+url.PathEscape(pos[0])+"/members/"+url.PathEscape(pos[1]), nil, nil); err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, pos[0], pos[1], err)
	}
	fmt.Fprintf(stdout, "%s: %s %s\n", verb, pos[0], pos[1])
	return nil
}

func tokenList(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	_, flags, err := verbArgs(args, 0, "token-list")
	if err != nil {
		return err
	}
	var out struct {
		Tokens []struct {
			ID, Name, Role, User string
			CreatedAt            string `json:"created_at"`
		}
	}
	if err := authCall(ctx, flags, getenv, http.MethodGet, "/auth/tokens", nil, &out); err != nil {
		return fmt.Errorf("token-list: %w", err)
	}
	var rows [][]string
	for _, t := range out.Tokens {
		rows = append(rows, []string{t.ID, auth.TokenLabel(t.ID) + "…", t.Name, t.Role, t.User, t.CreatedAt})
	}
	return table(stdout, []string{"ID", "Starts with", "Name", "Role", "User", "Created at"}, rows)
}

// tokenCreate prints the new token's value (once) on the last line, alone,
// so that scripts can take it with tail -1.
func tokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	pos, flags, err := verbArgs(args, 1, "token-create <name> --role {viewer,requester,approver,admin} [--user NAME]", "role", "user")
	if err != nil {
		return err
	}
	var out map[string]any
	body := map[string]any{"name": pos[0], "role": flags["role"], "user": flags["user"]}
	if err := authCall(ctx, flags, getenv, http.MethodPost, "/auth/tokens", body, &out); err != nil {
		return fmt.Errorf("token-create %s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "Created token %s (id %s, role %s, acts for %s). Its value, shown only now:\n%s\n",
		cell(out["name"]), cell(out["id"]), cell(out["role"]), cell(out["user"]), cell(out["token"]))
	return nil
}

// deleteVerb makes the client verb that deletes the record its one
// argument names (path + argument) and says so: user-delete, group-delete,
// token-revoke.
func deleteVerb(verb, arg, path, did string) func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
		pos, flags, err := verbArgs(args, 1, verb+" <"+arg+">")
		if err != nil {
			return err
		}
		if err := authCall(ctx, flags, getenv, http.MethodDelete, path+url.PathEscape(pos[0]), nil, nil); err != nil {
			return fmt.Errorf("%s %s: %w", verb, pos[0], err)
		}
		fmt.Fprintf(stdout, "%s %s\n", did, pos[0])
		return nil
	}
}

// Command bff is an example backend-for-frontend: a Go service that calls
// the catalogue API through a typed client that genqlient generates from
// the API's schema and the operations in operations.graphql. A change of
// the schema that breaks an operation breaks the build of this client
// (make generate-client), not a page in production.
//
//	go run ./examples/bff -auth "Bearer $TOKEN" members -tenant acme-music
//	go run ./examples/bff -auth "$API_KEY:$API_SECRET" create-label -name "Northern Lights Records"
//
// members lists every member of a tenant, one page at a time, following
// the connection's cursors; create-label creates a label in the caller's
// tenant, safely retried with an idempotency key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/Khan/genqlient/graphql"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bff:", err)
		os.Exit(1)
	}
}

// run parses the command line and runs one command, printing to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bff", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8080/graphql", "the catalogue API")
	authz := fs.String("auth", os.Getenv("CATALOGUE_AUTH"), `Authorization header: "Bearer <JWT>" or "<API_KEY>:<API_SECRET>" (default $CATALOGUE_AUTH)`)
	asTenant := fs.String("as-tenant", "", "X-Tenant header: the tenant to act in, for a user of several")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *authz == "" {
		return errors.New("credentials needed: -auth or CATALOGUE_AUTH")
	}
	client := newClient(*url, *authz, *asTenant)

	cmd, rest := fs.Arg(0), fs.Args()
	if len(rest) > 0 {
		rest = rest[1:]
	}
	switch cmd {
	case "members":
		sub := flag.NewFlagSet("members", flag.ContinueOnError)
		tenant := sub.String("tenant", "", "slug of the tenant whose members to list")
		pageSize := sub.Int("page-size", 50, "members per request")
		if err := sub.Parse(rest); err != nil {
			return err
		}
		if *tenant == "" {
			return errors.New("members: -tenant is required")
		}
		return printMembers(ctx, client, *tenant, *pageSize, out)
	case "create-label":
		sub := flag.NewFlagSet("create-label", flag.ContinueOnError)
		name := sub.String("name", "", "name of the new label")
		key := sub.String("idempotency-key", "", "sending the same key again returns the label created the first time")
		if err := sub.Parse(rest); err != nil {
			return err
		}
		if *name == "" {
			return errors.New("create-label: -name is required")
		}
		return createLabel(ctx, client, *name, *key, out)
	}
	return fmt.Errorf("unknown command %q; want members or create-label", cmd)
}

// newClient is a genqlient client that sends the caller's credentials
// (and tenant choice) with every request.
func newClient(url, authorization, tenant string) graphql.Client {
	h := http.Header{}
	h.Set("Authorization", authorization)
	if tenant != "" {
		h.Set("X-Tenant", tenant)
	}
	return graphql.NewClient(url, &http.Client{
		Timeout:   30 * time.Second,
		Transport: withHeaders{header: h, next: http.DefaultTransport},
	})
}

// withHeaders adds fixed headers to every request.
type withHeaders struct {
	header http.Header
	next   http.RoundTripper
}

func (t withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.header {
		r.Header[k] = v
	}
	// The API answers application/graphql-response+json by default; this
	// client reads either.
	r.Header.Set("Accept", "application/graphql-response+json, application/json")
	return t.next.RoundTrip(r)
}

// printMembers prints every member of a tenant, one line each (ID, email,
// name, role, status), fetching pageSize at a time until the last page.
func printMembers(ctx context.Context, client graphql.Client, slug string, pageSize int, out io.Writer) error {
	var after *string
	for page := 1; ; page++ {
		resp, err := Members(ctx, client, slug, pageSize, after)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		t := resp.Tenant
		if t == nil {
			return fmt.Errorf("no tenant %q visible with these credentials", slug)
		}
		if page == 1 {
			fmt.Fprintf(out, "# %s: %d members\n", t.Name, t.Members.TotalCount)
		}
		for _, e := range t.Members.Edges {
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\n", e.Node.Id, orDash(e.Node.Email), e.Node.FullName, e.Membership.Role, e.Membership.Status)
		}
		if !t.Members.PageInfo.HasNextPage {
			return nil
		}
		after = t.Members.PageInfo.EndCursor
	}
}

// orDash is a nullable string for printing: "-" for null (an email the
// caller may not see).
func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// createLabel creates a label and prints its ID and name, or the user
// errors that refused it.
func createLabel(ctx context.Context, client graphql.Client, name, key string, out io.Writer) error {
	var idempotencyKey *string
	if key != "" {
		idempotencyKey = &key
	}
	resp, err := CreateLabel(ctx, client, name, idempotencyKey)
	if err != nil {
		return err
	}
	p := resp.CreateLabel
	if p == nil {
		return errors.New("createLabel answered null")
	}
	if len(p.UserErrors) > 0 {
		for _, e := range p.UserErrors {
			fmt.Fprintf(out, "refused: %s %v: %s\n", e.Code, e.Field, e.Message)
		}
		return errors.New("the label was not created")
	}
	if p.Label == nil {
		return errors.New("createLabel returned no label and no user error")
	}
	fmt.Fprintf(out, "%s\t%s\n", p.Label.Id, p.Label.Name)
	return nil
}

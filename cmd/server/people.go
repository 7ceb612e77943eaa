package main

import (
	"context"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// people is engine.People over the accounts: the engine knows persons,
// not accounts.
type people struct{ accounts *auth.Service }

func (p people) Deciders(ctx context.Context, approvers []string) ([]engine.Person, error) {
	users, err := p.accounts.Deciders(ctx, approvers)
	if err != nil {
		return nil, err
	}
	out := make([]engine.Person, len(users))
	for i, u := range users {
		out[i] = engine.Person{User: u.Name, Email: u.Email}
	}
	return out, nil
}

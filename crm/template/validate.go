package template

// validate is replaced by the full rule set; it returns one error per problem.
func validate(t *Template, o *options) []error { return nil }

type value struct{}
type path struct{}
type compiled struct{}

package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// UserService is the user-management use cases the users API serves.
type UserService interface {
	List(ctx context.Context, caller app.Caller, schoolID string, req app.ListUsersRequest) (app.UserList, error)
	Get(ctx context.Context, caller app.Caller, schoolID, email string) (app.UserView, error)
	Invite(ctx context.Context, caller app.Caller, schoolID string, req app.InviteRequest) (app.UserView, error)
	Update(ctx context.Context, caller app.Caller, schoolID, email string, req app.UpdateRequest) (app.UserView, error)
	Remove(ctx context.Context, caller app.Caller, schoolID, email string) (app.UserView, error)
	Invitations(ctx context.Context, caller app.Caller, schoolID, cursor string, limit int) (app.UserList, error)
	Resend(ctx context.Context, caller app.Caller, schoolID, email string) (app.UserView, error)
	Cancel(ctx context.Context, caller app.Caller, schoolID, email string) (app.UserView, error)
	Send(ctx context.Context, caller app.Caller, schoolID string, req app.SendRequest, jobs app.SendJobStarter) (app.SendResult, error)
	Relationships(ctx context.Context, caller app.Caller, schoolID string, req app.ListLinksRequest) (app.LinkList, error)
	Unlink(ctx context.Context, caller app.Caller, schoolID, student, parent string) error
}

// GroupService is the group use cases the users API serves.
type GroupService interface {
	List(ctx context.Context, caller app.Caller, schoolID string) (app.GroupList, error)
	Create(ctx context.Context, caller app.Caller, schoolID string, req app.GroupRequest) (roster.Group, error)
	Rename(ctx context.Context, caller app.Caller, schoolID, groupID string, req app.GroupRequest) (roster.Group, error)
	Delete(ctx context.Context, caller app.Caller, schoolID, groupID string) error
}

// InviteeService is what signed-in people ask about themselves.
type InviteeService interface {
	Me(ctx context.Context, caller app.Caller) (app.Me, error)
	Accept(ctx context.Context, caller app.Caller, token string) (app.Accepted, error)
}

// SchoolGetter is the school use case the users API serves.
type SchoolGetter interface {
	GetSchool(ctx context.Context, caller app.Caller, schoolID string) (app.SchoolView, error)
}

var (
	_ SchoolGetter   = (*app.Schools)(nil)
	_ UserService    = (*app.Users)(nil)
	_ GroupService   = (*app.Groups)(nil)
	_ InviteeService = (*app.Invitees)(nil)
)

// UsersAPIServices are the use cases behind the users-api function.
type UsersAPIServices struct {
	Schools  SchoolGetter
	Users    UserService
	Groups   GroupService
	Invitees InviteeService
	SendJobs app.SendJobStarter
	Exports  ExportService // the users export; its routes answer 501 without it
}

// UsersAPI registers the users-api function's routes on rt.
func UsersAPI(rt *Router, s UsersAPIServices) {
	rt.Handle("GET /schools/{schoolId}", func(ctx context.Context, r *Request) (Response, error) {
		return respond(s.Schools.GetSchool(ctx, r.Caller, r.Path["schoolId"]))
	})
	rt.Handle("GET /me", func(ctx context.Context, r *Request) (Response, error) {
		return respond(s.Invitees.Me(ctx, r.Caller))
	})
	rt.Handle("POST /invitations/accept", func(ctx context.Context, r *Request) (Response, error) {
		var req struct {
			Token string `json:"token"`
		}
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		return respond(s.Invitees.Accept(ctx, r.Caller, req.Token))
	})
	usersRoutes(rt, s.Users, s.SendJobs)
	relationshipsRoutes(rt, s.Users)
	groupsRoutes(rt, s.Groups)
	if s.Exports != nil {
		exportRoutes(rt, s.Exports)
	}
}

func usersRoutes(rt *Router, users UserService, jobs app.SendJobStarter) {
	rt.Handle("GET /schools/{schoolId}/users", func(ctx context.Context, r *Request) (Response, error) {
		limit, err := queryLimit(r)
		if err != nil {
			return Response{}, err
		}
		return respond(users.List(ctx, r.Caller, r.Path["schoolId"], app.ListUsersRequest{
			Query: r.Query["q"], Group: r.Query["group"], Status: r.Query["status"], Cursor: r.Query["cursor"], Limit: limit,
		}))
	})
	rt.Handle("POST /schools/{schoolId}/users", func(ctx context.Context, r *Request) (Response, error) {
		var req app.InviteRequest
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		v, err := users.Invite(ctx, r.Caller, r.Path["schoolId"], req)
		return Response{Status: http.StatusCreated, Body: v}, err
	})
	rt.Handle("GET /schools/{schoolId}/users/{email}", func(ctx context.Context, r *Request) (Response, error) {
		return respond(users.Get(ctx, r.Caller, r.Path["schoolId"], pathEmail(r)))
	})
	rt.Handle("PATCH /schools/{schoolId}/users/{email}", func(ctx context.Context, r *Request) (Response, error) {
		var req app.UpdateRequest
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		return respond(users.Update(ctx, r.Caller, r.Path["schoolId"], pathEmail(r), req))
	})
	rt.Handle("DELETE /schools/{schoolId}/users/{email}", func(ctx context.Context, r *Request) (Response, error) {
		return respond(users.Remove(ctx, r.Caller, r.Path["schoolId"], pathEmail(r)))
	})
	rt.Handle("GET /schools/{schoolId}/invitations", func(ctx context.Context, r *Request) (Response, error) {
		limit, err := queryLimit(r)
		if err != nil {
			return Response{}, err
		}
		return respond(users.Invitations(ctx, r.Caller, r.Path["schoolId"], r.Query["cursor"], limit))
	})
	rt.Handle("POST /schools/{schoolId}/invitations/send", func(ctx context.Context, r *Request) (Response, error) {
		var req app.SendRequest
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		res, err := users.Send(ctx, r.Caller, r.Path["schoolId"], req, jobs)
		status := http.StatusOK
		if res.Job != nil {
			status = http.StatusAccepted
		}
		return Response{Status: status, Body: res}, err
	})
	rt.Handle("POST /schools/{schoolId}/invitations/{email}/resend", func(ctx context.Context, r *Request) (Response, error) {
		return respond(users.Resend(ctx, r.Caller, r.Path["schoolId"], pathEmail(r)))
	})
	rt.Handle("DELETE /schools/{schoolId}/invitations/{email}", func(ctx context.Context, r *Request) (Response, error) {
		return respond(users.Cancel(ctx, r.Caller, r.Path["schoolId"], pathEmail(r)))
	})
}

func relationshipsRoutes(rt *Router, users UserService) {
	rt.Handle("GET /schools/{schoolId}/relationships", func(ctx context.Context, r *Request) (Response, error) {
		limit, err := queryLimit(r)
		if err != nil {
			return Response{}, err
		}
		return respond(users.Relationships(ctx, r.Caller, r.Path["schoolId"], app.ListLinksRequest{
			Student: r.Query["student"], Parent: r.Query["parent"], Cursor: r.Query["cursor"], Limit: limit,
		}))
	})
	rt.Handle("DELETE /schools/{schoolId}/relationships/{student}/{parent}", func(ctx context.Context, r *Request) (Response, error) {
		if err := users.Unlink(ctx, r.Caller, r.Path["schoolId"], pathParam(r, "student"), pathParam(r, "parent")); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusNoContent}, nil
	})
}

func groupsRoutes(rt *Router, groups GroupService) {
	rt.Handle("GET /schools/{schoolId}/groups", func(ctx context.Context, r *Request) (Response, error) {
		return respond(groups.List(ctx, r.Caller, r.Path["schoolId"]))
	})
	rt.Handle("POST /schools/{schoolId}/groups", func(ctx context.Context, r *Request) (Response, error) {
		var req app.GroupRequest
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		g, err := groups.Create(ctx, r.Caller, r.Path["schoolId"], req)
		return Response{Status: http.StatusCreated, Body: g}, err
	})
	rt.Handle("PATCH /schools/{schoolId}/groups/{groupId}", func(ctx context.Context, r *Request) (Response, error) {
		var req app.GroupRequest
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		return respond(groups.Rename(ctx, r.Caller, r.Path["schoolId"], pathParam(r, "groupId"), req))
	})
	rt.Handle("DELETE /schools/{schoolId}/groups/{groupId}", func(ctx context.Context, r *Request) (Response, error) {
		if err := groups.Delete(ctx, r.Caller, r.Path["schoolId"], pathParam(r, "groupId")); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusNoContent}, nil
	})
}

// respond is a 200 with v, or the error.
func respond[T any](v T, err error) (Response, error) {
	if err != nil {
		return Response{}, err
	}
	return OK(v), nil
}

// queryLimit reads the limit query parameter; 0 when absent.
// Errors: EINVALID when it is not a number.
func queryLimit(r *Request) (int, error) {
	s := r.Query["limit"]
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, roster.Errorf(roster.EINVALID, "limit must be a number between 1 and 100.")
	}
	return n, nil
}

// pathParam is a path parameter, decoded if a client escaped it.
func pathParam(r *Request, name string) string {
	v := r.Path[name]
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

func pathEmail(r *Request) string { return pathParam(r, "email") }

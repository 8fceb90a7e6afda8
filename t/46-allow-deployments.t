#!/usr/bin/perl

# azoai_allow_deployments: per-consumer deployments.  A map on a request
# header (X-Team) decides which patterns apply; every place a request
# names a deployment (path, realtime query, spillover and image headers,
# body model, session.model, the embedding deployment of On Your Data) is
# checked; an empty expansion allows nothing; report mode forwards and
# logs; HTTP/2 is judged the same; literal patterns are checked by
# nginx -t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog(<<'EOF');
{
  "models": {
    "gpt-4o": { "2024-11-20": "ga" },
    "gpt-5-chat": { "*": "preview" },
    "text-embedding-3-small": { "1": "ga" },
    "gpt-realtime": { "2025-08-28": "ga" }
  },
  "deployments": {
    "team-a-chat": { "model": "gpt-4o", "version": "2024-11-20" },
    "team-a-mini": { "model": "gpt-4o", "version": "2024-11-20" },
    "team-b-chat": { "model": "gpt-4o", "version": "2024-11-20" },
    "team-a-preview": { "model": "gpt-5-chat", "version": "2025-08-07" },
    "shared-embed": { "model": "text-embedding-3-small", "version": "1" },
    "other-embed": { "model": "text-embedding-3-small", "version": "1" },
    "rt-a": { "model": "gpt-realtime", "version": "2025-08-28" },
    "rt-b": { "model": "gpt-realtime", "version": "2025-08-28" }
  }
}
EOF

$t->write_conf(<<'EOF');
    log_format azoai '$http_x_test_id decision=$azoai_decision '
                     'reason=$azoai_reason';

    map $http_x_team $team_deployments {
        default    "";
        alpha      "team-a-*  shared-embed rt-a";
        beta       team-b-chat;
        everyone   "*";
        bad        "team-a-chat/x";
    }

    map $http_x_team $team_extra {
        default    "";
        alpha      "TEAM-B-CHAT";
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_catalog %%CATALOG%%;
        azoai_allow_deployments $team_deployments;
        access_log %%DIR%%/azoai.log azoai;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_REPORT%%;
        azoai on;
        azoai_mode report;
        azoai_catalog %%CATALOG%%;
        azoai_allow_deployments $team_deployments;
        access_log %%DIR%%/azoai.log azoai;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_LITERAL%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        azoai_allow_deployments $team_deployments;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/ {
            azoai_allow_deployments *-mini team-b-* $team_extra;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_OPEN%%;
        azoai on;
        azoai_catalog %%CATALOG%%;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $V = '?api-version=2024-10-21';
my $JSON = ['Content-Type', 'application/json'];
my $CHAT = '{"messages":[{"role":"user","content":"hi"}]}';
my $id = 0;

sub headers {
    my ($team, $more) = @_;
    my @h = ($JSON, ['X-Test-Id', 't' . ++$id]);
    push @h, ['X-Team', $team] if defined $team;
    push @h, @$more if $more;
    return \@h;
}

# POST /openai/deployments/DEP/chat/completions
sub classic {
    my ($team, $dep, %o) = @_;
    return { method => 'POST',
             path => "/openai/deployments/$dep/chat/completions$V",
             headers => headers($team, $o{headers}),
             body => $o{body} // $CHAT,
             ($o{port} ? (port => $t->port($o{port})) : ()),
             ($o{via} ? (via => $o{via}, port => $t->port('h2')) : ()) };
}

# POST /openai/v1/PATH
sub v1 {
    my ($team, $path, $body, %o) = @_;
    return { method => 'POST', path => "/openai/v1/$path",
             headers => headers($team, $o{headers}), body => $body,
             ($o{via} ? (via => $o{via}, port => $t->port('h2')) : ()) };
}

sub chat_model {
    return qq({"model":"$_[0]","messages":[{"role":"user","content":"hi"}]});
}

sub message {
    my ($r) = @_;
    my $j = json_decode($r->{body} // '') // {};
    return ref $j eq 'HASH' && ref $j->{error} eq 'HASH'
        ? $j->{error}{message} // '' : '';
}

# --- the path, per team ----------------------------------------------------

$t->expect_allowed(classic('alpha', 'team-a-chat'),
                   'alpha: team-a-* matches team-a-chat');
$t->expect_allowed(classic('alpha', 'TEAM-A-MINI'),
                   'alpha: a glob ignores ASCII case, as Azure does');
$t->expect_denied(classic('alpha', 'team-b-chat'), 403,
                  'DeploymentNotAllowed', 'alpha: team-b-chat denied');
my $r = $t->request(classic('alpha', 'team-b-chat'));
like(message($r), qr/deployment 'team-b-chat' is not among the deployments/,
     'the message names the deployment');
like(message($r), qr/\(from path\)/, 'and where the request names it');
unlike($r->{body}, qr/team-a-\*/, 'the patterns are not shown');

$t->expect_allowed(classic('beta', 'team-b-chat'), 'beta: team-b-chat');
$t->expect_denied(classic('beta', 'team-a-chat'), 403,
                  'DeploymentNotAllowed', 'beta: team-a-chat denied');
$t->expect_allowed(classic('everyone', 'team-b-chat'), 'everyone: *');

# the GA check comes first and still applies to allowed deployments
$t->expect_denied(classic('alpha', 'team-a-preview'), 403,
                  'PreviewModelBlocked', 'an allowed preview deployment');

# --- empty and unusable expansions -----------------------------------------

$t->expect_denied(classic(undef, 'team-a-chat'), 403,
                  'DeploymentNotAllowed', 'no team: empty expansion, denied');
$t->expect_denied(classic('', 'team-a-chat'), 403,
                  'DeploymentNotAllowed', 'an empty header: denied');
$t->expect_denied(classic('bad', 'team-a-chat'), 403,
                  'DeploymentNotAllowed',
                  'a pattern with a byte outside the grammar matches nothing');

# --- every place a deployment is named -------------------------------------

$t->expect_allowed(v1('alpha', 'chat/completions', chat_model('team-a-chat')),
                   'body model allowed');
$t->expect_denied(v1('alpha', 'chat/completions', chat_model('team-b-chat')),
                  403, 'DeploymentNotAllowed', 'body model denied');
$r = $t->request(v1('alpha', 'chat/completions', chat_model('team-b-chat')));
like(message($r), qr/\(from body model\)/, 'the message says body model');

my $rt = '{"session":{"type":"realtime","model":"%s"}}';
$t->expect_allowed(v1('alpha', 'realtime/client_secrets',
                      sprintf($rt, 'rt-a')), 'session.model allowed');
$t->expect_denied(v1('alpha', 'realtime/client_secrets',
                     sprintf($rt, 'rt-b')),
                  403, 'DeploymentNotAllowed', 'session.model denied');
$r = $t->request(v1('alpha', 'realtime/client_secrets',
                    sprintf($rt, 'rt-b')));
like(message($r), qr/session\.model/, 'the message says session.model');

my $oyd = '{"messages":[{"role":"user","content":"hi"}],"data_sources":'
    . '[{"type":"azure_search","parameters":{"endpoint":"https://s",'
    . '"index_name":"i","embedding_dependency":{"type":"deployment_name",'
    . '"deployment_name":"%s"}}}]}';
$t->expect_allowed(classic('alpha', 'team-a-chat',
                           body => sprintf($oyd, 'shared-embed')),
                   'embedding deployment allowed');
$t->expect_denied(classic('alpha', 'team-a-chat',
                          body => sprintf($oyd, 'other-embed')),
                  403, 'DeploymentNotAllowed', 'embedding deployment denied');

$t->expect_denied(classic('alpha', 'team-a-chat', headers =>
                          [['x-ms-spillover-deployment', 'team-b-chat']]),
                  403, 'DeploymentNotAllowed', 'spillover header denied');
$t->expect_allowed(classic('alpha', 'team-a-chat', headers =>
                           [['x-ms-spillover-deployment', 'team-a-mini']]),
                   'spillover header allowed');

my $resp = '{"model":"team-a-chat","input":"hi"}';
$t->expect_denied(v1('alpha', 'responses', $resp, headers =>
                     [['x-ms-oai-image-generation-deployment',
                       'team-b-chat']]),
                  403, 'DeploymentNotAllowed', 'image deployment header');
$t->expect_allowed(v1('alpha', 'responses', $resp),
                   'the same request without the header');

$t->expect_denied({ method => 'GET', headers => headers('alpha'),
                    path => "/openai/realtime$V&deployment=rt-b" },
                  403, 'DeploymentNotAllowed', 'realtime query denied');
$t->expect_allowed({ method => 'GET', headers => headers('alpha'),
                     path => "/openai/realtime$V&deployment=rt-a" },
                   'realtime query allowed');

# --- several arguments, literals and variables ------------------------------

$t->expect_allowed(classic('beta', 'team-a-mini', port => 'literal'),
                   'literal glob *-mini');
$t->expect_allowed(classic(undef, 'team-b-chat', port => 'literal'),
                   'literal glob team-b-*');
$t->expect_denied(classic(undef, 'team-a-chat', port => 'literal'),
                  403, 'DeploymentNotAllowed', 'literal globs: no match');
$t->expect_denied(classic('alpha', 'team-a-chat', port => 'literal'),
                  403, 'DeploymentNotAllowed',
                  'a location\'s directive replaces the server\'s');

# --- no directive: no restriction ------------------------------------------

$t->expect_allowed(classic(undef, 'team-b-chat', port => 'open'),
                   'no directive: any catalogued deployment');

# --- report mode -----------------------------------------------------------

my $req = classic('beta', 'team-a-chat', port => 'report');
my $tid = $req->{headers}[1][1];
$t->expect_allowed($req, 'report: forwarded', decision => 'report-deny');
is($t->access_log_wait(qr/^$tid /, 'azoai.log'),
   "$tid decision=report-deny reason=DeploymentNotAllowed",
   'report: logged with DeploymentNotAllowed');
like($t->error_log,
     qr/report-only, would deny: DeploymentNotAllowed: deployment 'team-a-/,
     'report: the error log says why');

# --- HTTP/2 ----------------------------------------------------------------

SKIP: {
    skip 'curl without HTTP/2', 5 unless curl_h2_available();
    $t->expect_allowed(classic('alpha', 'team-a-chat', via => 'h2'),
                       'HTTP/2: allowed');
    $t->expect_denied(classic('alpha', 'team-b-chat', via => 'h2'), 403,
                      'DeploymentNotAllowed', 'HTTP/2: path denied');
    $t->expect_denied(v1('alpha', 'chat/completions',
                         chat_model('team-b-chat'), via => 'h2'),
                      403, 'DeploymentNotAllowed', 'HTTP/2: body denied');
}

$t->error_log_clean;

# --- nginx -t: literal patterns --------------------------------------------

for my $bad ('team/a', 'a' x 65, '"a b"', 'x?') {
    $t->write_conf(<<"EOF", file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_allow_deployments ok-* $bad;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
    my ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "nginx -t rejects pattern $bad");
    like($out,
         qr/\[emerg\] .*invalid deployment pattern .* in \S*bad\.conf:\d+/,
         "nginx -t: pattern $bad, the message and line") or diag($out);
}

$t->write_conf(<<'EOF', file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_allow_deployments a;
        azoai_allow_deployments b;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
my ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
isnt($rc, 0, 'nginx -t rejects the directive twice in a block');
like($out, qr/"azoai_allow_deployments" directive is duplicate/,
     'nginx -t: twice in one block, the message') or diag($out);

done_testing();

#!/usr/bin/perl

# Requests where Azure could act on another deployment or api-version than
# the one the module checked are denied 400 AmbiguousRequest.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $GA = 'api-version=2024-10-21';
my $JSON = [['Content-Type', 'application/json']];
my $CHAT = '"messages":[{"role":"user","content":"hi"}]';

sub path_req {
    my ($path) = @_;
    return { method => 'POST', path => $path, headers => $JSON,
             body => "{$CHAT}" };
}

sub body_req {
    my ($body) = @_;
    return { method => 'POST', path => '/openai/v1/chat/completions',
             headers => $JSON, body => $body };
}

# the unambiguous spelling of each passes (so a denial below is about the
# spelling, not the deployment)
$t->expect_allowed(path_req("/openai/deployments/chat-prod/chat/completions"
                            . "?$GA"), 'plain path passes');
$t->expect_allowed(body_req(qq({"model":"chat-prod",$CHAT})),
                   'plain body passes');
$t->expect_allowed(path_req("/openai/deployments/chat-prod/chat/completions"
                            . "?$GA&note=%23"),
                   'an encoded "#" in the query passes');

my @ambiguous = (
    # percent-encoded segments
    [path_req("/openai/deployments/chat%2Dprod/chat/completions?$GA"),
     'percent-encoded deployment'],
    [path_req("/openai/deployments/chat%2dprod/chat/completions?$GA"),
     'percent-encoded deployment, lower-case hex'],
    [path_req("/openai/deployments/chat-prod%2Fx/chat/completions?$GA"),
     'encoded slash in the deployment'],
    [path_req("/openai/deployments/chat-prod/chat%2Fcompletions?$GA"),
     'encoded slash in the operation'],
    [path_req("/openai/%64eployments/chat-prod/chat/completions?$GA"),
     'percent-encoded "deployments"'],

    # dot segments
    [path_req("/openai/deployments/./chat-prod/chat/completions?$GA"),
     'dot segment'],
    [path_req("/openai/deployments/chat-prod/../chat-preview/"
              . "chat/completions?$GA"),
     'dot-dot segment to a preview deployment'],
    [path_req("/openai/deployments/nope/../chat-prod/chat/completions?$GA"),
     'dot-dot segment to a GA deployment'],
    [path_req("/openai/deployments/chat-prod/%2E%2E/chat-preview/"
              . "chat/completions?$GA"),
     'encoded dot-dot segment'],

    # empty segments
    [path_req("/openai/deployments//chat-prod/chat/completions?$GA"),
     'empty segment before the deployment'],
    [path_req("/openai/deployments/chat-prod//chat/completions?$GA"),
     'empty segment after the deployment'],
    [path_req("/openai//v1/chat/completions"),
     'empty segment in a v1 path'],

    # api-version twice
    [path_req("/openai/deployments/chat-prod/chat/completions"
              . "?$GA&api-version=2025-04-01-preview"),
     'api-version twice (GA then preview)'],
    [path_req("/openai/deployments/chat-prod/chat/completions?$GA&$GA"),
     'api-version twice, same value'],
    [path_req("/openai/deployments/chat-prod/chat/completions"
              . "?$GA&api%2Dversion=2025-04-01-preview"),
     'api-version twice, once encoded'],

    # a '#' in the target: NGINX's query ends there, proxy_pass sends
    # the rest on, where Azure could read another api-version
    [path_req("/openai/deployments/chat-prod/chat/completions"
              . "?$GA#&api-version=2025-04-01-preview"),
     'fragment hiding a second api-version'],
    [path_req("/openai/deployments/chat-prod/chat/completions?$GA#"),
     'fragment after the query'],
    [path_req("/openai/deployments/chat-prod/chat/completions#?$GA"),
     'fragment before the query'],

    # model twice
    [body_req(qq({"model":"chat-prod",$CHAT,"model":"chat-preview"})),
     'model twice (GA then preview)'],
    [body_req(qq({"model":"chat-prod","model":"chat-prod",$CHAT})),
     'model twice, same value'],
    [body_req(qq({"model":"chat-prod",$CHAT,"\\u006dodel":"chat-preview"})),
     'model twice, once escaped'],

    # model not a string
    [body_req(qq({"model":["chat-prod"],$CHAT})), 'model is an array'],
    [body_req(qq({"model":{"name":"chat-prod"},$CHAT})), 'model is an object'],
    [body_req(qq({"model":42,$CHAT})), 'model is a number'],
    [body_req(qq({"model":null,$CHAT})), 'model is null'],
    [body_req(qq({"model":true,$CHAT})), 'model is true'],
);

for my $a (@ambiguous) {
    my ($req, $name) = @$a;
    $t->expect_denied($req, 400, 'AmbiguousRequest', $name);
}

$t->error_log_clean;

done_testing;

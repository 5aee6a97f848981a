# An OpenFaaS function on Lambda with Terraform: the faas-lambda bootstrap layer,
# and a function packed with --no-bootstrap that uses it, behind a Function URL.
#
#   make layers
#   faas-lambda pack docker://ghcr.io/openfaas/figlet:latest --no-bootstrap -o figlet.zip
#   terraform -chdir=examples/terraform init && terraform -chdir=examples/terraform apply
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "layer_zip" {
  type    = string
  default = "../../build/layers/faas-lambda-bootstrap-x86_64.zip"
}

variable "function_zip" {
  type    = string
  default = "../../figlet.zip"
}

provider "aws" {
  region = var.region
}

resource "aws_lambda_layer_version" "bootstrap" {
  layer_name               = "faas-lambda-bootstrap-x86_64"
  description              = "faas-lambda bootstrap (a custom runtime that runs the OpenFaaS watchdog)"
  filename                 = var.layer_zip
  source_code_hash         = filebase64sha256(var.layer_zip)
  compatible_runtimes      = ["provided.al2023", "provided.al2"]
  compatible_architectures = ["x86_64"]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "figlet-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "figlet" {
  function_name    = "figlet"
  role             = aws_iam_role.function.arn
  filename         = var.function_zip
  source_code_hash = filebase64sha256(var.function_zip)
  runtime          = "provided.al2023"
  architectures    = ["x86_64"]
  handler          = "fwatchdog" # unused when the package has faas-lambda.json
  memory_size      = 256
  timeout          = 30
  layers           = [aws_lambda_layer_version.bootstrap.arn]

  environment {
    variables = {
      FAAS_LAMBDA_LOG_LEVEL = "info"
    }
  }
}

resource "aws_lambda_function_url" "figlet" {
  function_name      = aws_lambda_function.figlet.function_name
  authorization_type = "NONE"
}

output "url" {
  value = aws_lambda_function_url.figlet.function_url
}
